kbcPreviews({"shards":1});
