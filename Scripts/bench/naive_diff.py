#!/usr/bin/env python3
"""The 'short Python script' baseline: match two COCO files' annotations by annotation id and
count moved / resized / relabeled / added / removed. It cannot see through renumbered ids."""
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
old = {x["id"]: x for x in a["annotations"]}
new = {x["id"]: x for x in b["annotations"]}
c = dict(added=0, removed=0, moved=0, resized=0, relabeled=0)
for i, x in new.items():
    y = old.get(i)
    if y is None: c["added"] += 1; continue
    if x["category_id"] != y["category_id"]: c["relabeled"] += 1
    if x["bbox"][:2] != y["bbox"][:2]: c["moved"] += 1
    if x["bbox"][2:] != y["bbox"][2:]: c["resized"] += 1
c["removed"] = sum(1 for i in old if i not in new)
print(json.dumps(c))
