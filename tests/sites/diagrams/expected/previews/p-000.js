kbcPreviews({"shard":0,"notes":{
"index.html":{"t":"Diagrams","p":"","s":{"":["","Every node shape and edge kind of the Mermaid subset: flowchart TD %% a comment line A[Box] --\u003e B(Rounded) B -.-\u003e C([Stadium]) C ==\u003e D((Circle)) D --- E{Decision} E --\u003e|label| F[[Subroutine]] F -- text --\u003e G[(Database)] G --o H\u003eFlag] H --x I{{Hexagon}} A \u0026 B --\u003e I subgraph S1 [A…"]}}
}});
