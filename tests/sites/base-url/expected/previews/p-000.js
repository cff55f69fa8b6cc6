kbcPreviews({"shard":0,"notes":{
"index.html":{"t":"Start","p":"Home of a site published under a subpath.","s":{"":["","See Deep."]}},
"sub/deep.html":{"t":"Deep","p":"","s":{"":["","Back to Start."]}}
}});
