#!/usr/bin/env python3
"""Table from chatframe-bench-outbox's JSON (stdlib only).

    python3 bench/outbox_table.py bench/results/outbox.json

Per item kind and size: MB/s and sink calls per MiB for offer()/consume()
and gather()/consume(), and the gather/offer throughput ratio. With
repetitions, medians.
"""
import json
import sys


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "bench/results/outbox.json"
    rows = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("error_occurred"):
            print(f"ERROR {b['name']}: {b.get('error_message')}", file=sys.stderr)
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        _, item, drain, size = b.get("run_name", b["name"]).split("/")[:4]
        key = (item, int(size.split(":")[1]), drain)
        if key in rows and b.get("run_type") != "aggregate":
            continue
        rows[key] = b
    print(f"{'item':<10}{'size':>6}{'offer MB/s':>12}{'calls/MiB':>11}{'gather MB/s':>13}{'calls/MiB':>11}"
          f"{'gather/offer':>14}{'allocs/item':>13}")
    print("-" * 90)
    for item in ("push", "view", "joined", "producer"):
        for size in (16, 128, 4096):
            o, g = rows.get((item, size, "offer")), rows.get((item, size, "gather"))
            if not o or not g:
                continue
            print(f"{item:<10}{size:>6}{o['bytes_per_second'] / 1e6:>12.0f}{o['sink_calls_per_MiB']:>11.0f}"
                  f"{g['bytes_per_second'] / 1e6:>13.0f}{g['sink_calls_per_MiB']:>11.0f}"
                  f"{g['bytes_per_second'] / o['bytes_per_second']:>13.2f}x{o['allocs_per_item']:>13.2f}")
    print("timed: the pushes and the drain into a memcpy ring; calls/MiB = offers or gathers that gave data per MiB")
    print("push = push(std::string), view = push_view(), joined = push_view_joined() of back-to-back slices,")
    print("producer = push_with_producer(simple_producer(size, 512))")


if __name__ == "__main__":
    main()
