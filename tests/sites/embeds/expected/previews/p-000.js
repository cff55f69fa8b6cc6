kbcPreviews({"shard":0,"notes":{
"index.html":{"t":"Host","p":"","s":{"":["","The host page embeds a section and a whole note. Source › Part one Then a note from another folder: Deep An embed inside a sentence stays a link: see Source here."],"host-heading":["Host heading","Host text."]}},
"sub/deep.html":{"t":"Deep","p":"","s":{"":["","Deep text links Source › Part two and embeds a piece of its own folder-mate: Sibling › Bit"]}},
"sub/sibling.html":{"t":"Sibling","p":"","s":{"":["",""],"bit":["Bit","A bit with a relative link."]}},
"source.html":{"t":"Source","p":"","s":{"":["","Intro of source."],"part-one":["Part one","Part one text with a link to part two and a link to deep."],"sub-of-part-one":["Sub of part one","Still inside part one."],"part-two":["Part two","Not embedded."]}}
}});
