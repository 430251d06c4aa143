"""Seeds the fuzz corpus from the real CloudTrail fixtures: each record wrapped in the EventBridge envelope, moved
into the fuzz target's account (123456789012) and region (us-east-1) so the deep paths are reachable.
Run from the repository root: python3 crates/domain/fuzz/seed_corpus.py"""
import json
from pathlib import Path

root = Path(__file__).resolve().parents[3]
out = Path(__file__).resolve().parent / "corpus" / "classify"
out.mkdir(parents=True, exist_ok=True)
for path in sorted((root / "tests" / "fixtures" / "cloudtrail").glob("*.json")):
    detail = json.loads(path.read_text())
    for k in [k for k in detail if k.startswith("p_")]:
        del detail[k]
    detail["awsRegion"] = "us-east-1"
    detail["recipientAccountId"] = "123456789012"
    for pointer in (("userIdentity", "accountId"),):
        node = detail.get(pointer[0])
        if isinstance(node, dict):
            node[pointer[1]] = "123456789012"
    text = json.dumps(detail).replace("111122223333", "123456789012").replace("951234567898", "123456789012")
    text = text.replace("123123123123", "123456789012").replace("1010101010101", "123456789012").replace("us-west-2", "us-east-1").replace("us-west-1", "us-east-1")
    detail = json.loads(text)
    source = "aws." + detail.get("eventSource", "x.amazonaws.com").split(".")[0]
    event = {"version": "0", "id": "fuzz-seed", "detail-type": "AWS API Call via CloudTrail", "source": source,
             "account": "123456789012", "region": "us-east-1", "resources": [], "detail": detail}
    (out / path.name).write_text(json.dumps(event))
print(f"seeded {len(list(out.iterdir()))} inputs into {out}")
