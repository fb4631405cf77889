#!/usr/bin/env python3
"""Ratio table from chatframe-bench-framing's JSON output (stdlib only).

    python3 bench/ratio_table.py bench/results/framing.json

Benchmark names are <impl>/<terminator>/<length>/chunk:<bytes>[/...], impl one
of chatframe, memchr, careless, asio, memcpy, chatframe_cached, memchr_cached,
or paired_memchr, paired_asio, paired_memchr_cached, paired_asio_cached
(chatframe and the other in the same iterations). With
repetitions, the median is used.
For each chatframe row: frames/s, MB/s (10^6 bytes), the ratio to the ceiling
(memchr loop for delimiters; memcpy of the same chunks for count and none,
marked *), to the careless baseline and to Boost.Asio (read_until/streambuf
and consume(); read/transfer_exactly for count), to Asio's getline idiom
(read_until then std::getline into a std::string; lines only), and
allocations per frame. The ratios to memchr and to Asio are the paired rows'
(median of per-iteration ratios) when the file has them, else the quotient
of the two separate rows; a second table gives the paired ratios' quartiles.
"""
import json
import sys


def load(path):
    with open(path) as f:
        doc = json.load(f)
    rows = {}
    for b in doc["benchmarks"]:
        if b.get("error_occurred"):
            print(f"ERROR {b['name']}: {b.get('error_message')}", file=sys.stderr)
            continue
        kind = b.get("run_type", "iteration")
        if kind == "aggregate" and b.get("aggregate_name") != "median":
            continue
        parts = b.get("run_name", b["name"]).split("/")
        if len(parts) < 4 or not parts[3].startswith("chunk:"):
            continue
        key = (parts[0], parts[1], parts[2], int(parts[3][len("chunk:"):]))
        if kind == "iteration" and key in rows and rows[key].get("_agg"):
            continue
        rows[key] = {
            "bps": b.get("bytes_per_second", 0.0),
            "fps": b.get("frames", 0.0),
            "apf": b.get("allocs_per_frame", float("nan")),
            "ratio": b.get("ratio"),
            "p25": b.get("ratio_p25"),
            "p75": b.get("ratio_p75"),
            "cf_bps": b.get("chatframe_Bps", 0.0),
            "other_bps": b.get("other_Bps", 0.0),
            "cpu": b.get("cpu"),
            "probe": b.get("core_probe_ns"),
            "_agg": kind == "aggregate",
        }
    return doc.get("context", {}), rows


def fmt_ratio(a, b):
    return f"{a / b:6.2f}x" if b else "     -"


def ratio_to(rows, r, impl, term, length, chunk):
    """chatframe's speed over impl's: the paired row's if there is one."""
    paired = rows.get(("paired_" + impl, term, length, chunk))
    if paired and paired["ratio"]:
        return f"{paired['ratio']:6.2f}x"
    other = rows.get((impl, term, length, chunk))
    return fmt_ratio(r["bps"], other["bps"] if other else 0.0)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "bench/results/framing.json"
    ctx, rows = load(path)
    print(f"{path}: {ctx.get('date', '')} {ctx.get('num_cpus', '?')} CPUs @ {ctx.get('mhz_per_cpu', '?')} MHz")
    header = (f"{'workload':<18}{'chunk':>7}{'frames/s':>11}{'MB/s':>10}"
              f"{'ceil MB/s':>11}{'vs ceil':>9}{'careless MB/s':>15}{'vs careless':>12}"
              f"{'asio MB/s':>11}{'vs asio':>9}{'vs getline':>11}{'allocs/frame':>14}")
    print(header)
    print("-" * len(header))
    order = {"lf": 0, "crlf": 1, "crlf2": 2, "count": 3, "none": 4}

    def workload_order(k):
        # Delimiters, then records; lengths by size, named ones (count/mixed) after them.
        return order.get(k[1], 9), int(k[2]) if k[2].isdigit() else 1 << 30
    keys = sorted((k for k in rows if k[0] == "chatframe"),
                  key=lambda k: (*workload_order(k), -k[3]))
    for k in keys:
        _, term, length, chunk = k
        r = rows[k]
        if term in ("count", "none"):
            ceil = rows.get(("memcpy", "-", "-", chunk))
            mark = "*"
        else:
            ceil = rows.get(("memchr", term, length, chunk))
            mark = " "
        careless = rows.get(("careless", term, length, chunk))
        asio = rows.get(("asio", term, length, chunk))
        ab = asio["bps"] if asio else 0.0
        getline = rows.get(("asio_getline", term, length, chunk))
        gb = getline["bps"] if getline else 0.0
        cb = ceil["bps"] if ceil else 0.0
        lb = careless["bps"] if careless else 0.0
        fps = f"{r['fps'] / 1e6:8.1f} M" if r["fps"] else "       -  "
        vs_ceil = fmt_ratio(r["bps"], cb) if mark == "*" else ratio_to(rows, r, "memchr", term, length, chunk)
        print(f"{term + '/' + length:<18}{chunk:>7}{fps:>11}{r['bps'] / 1e6:>10.0f}"
              f"{(f'{cb / 1e6:.0f}' if cb else '-'):>10}{mark}{vs_ceil:>9}"
              f"{(f'{lb / 1e6:.0f}' if lb else '-'):>15}{fmt_ratio(r['bps'], lb):>12}"
              f"{(f'{ab / 1e6:.0f}' if ab else '-'):>11}{ratio_to(rows, r, 'asio', term, length, chunk):>9}"
              f"{fmt_ratio(r['bps'], gb):>11}{r['apf']:>14.3g}")
    print("ceiling: memchr(+memcmp) hit-to-hit loop over the same chunks; * = memcpy of the same chunks")
    print("vs ceil (memchr) and vs asio: paired rows, the median of per-iteration ratios, when present")
    print("count/none: the framer hands out views without reading payload, so MB/s may exceed memcpy;")
    print("            count frames/s counts on_found() calls (header and body: 2 per record)")
    cached = sorted((k for k in rows if k[0] == "chatframe_cached"),
                    key=lambda k: (*workload_order(k), -k[3]))
    if cached:
        print("from a range of at most 1 MiB that stays in cache (as after recv()):")
        for k in cached:
            _, term, length, chunk = k
            # Lines against the memchr loop; records, which have no delimiter
            # to search for, against Asio.
            other = "asio_cached" if term == "count" else "memchr_cached"
            ref = rows.get((other, term, length, chunk))
            paired = rows.get(("paired_" + other, term, length, chunk))
            ob = ref["bps"] if ref else paired["other_bps"] if paired else 0.0
            print(f"  {term + '/' + length:<16}{chunk:>7}{rows[k]['fps'] / 1e6:>8.1f} M frames/s"
                  f"{rows[k]['bps'] / 1e6:>8.0f} MB/s  {other.split('_')[0]} {ob / 1e6:.0f} MB/s"
                  f"  {ratio_to(rows, rows[k], other, term, length, chunk)}")
    paired = sorted((k for k in rows if k[0].startswith("paired_") and rows[k]["ratio"]),
                    key=lambda k: (k[0], *workload_order(k), -k[3]))
    if paired:
        print()
        print("paired: chatframe and the other in the same iterations, alternating order;")
        print("cpu: where it ran; probe ns: 150 nops, the slower of before and after (higher: the")
        print("core's other hardware thread was busy, and instruction-heavy code ran slower)")
        print(f"{'against':<25}{'workload':<14}{'chunk':>7}{'ratio':>9}{'p25-p75':>15}"
              f"{'chatframe MB/s':>16}{'other MB/s':>12}{'cpu':>5}{'probe ns':>10}")
        for k in paired:
            impl, term, length, chunk = k
            r = rows[k]
            iqr = f"{r['p25']:.2f}-{r['p75']:.2f}x"
            # Where it ran, and how busy that core was (bm_paired(), core_probe_ns()).
            cpu = "-" if r["cpu"] is None else f"{r['cpu']:.0f}"
            probe = "-" if not r["probe"] else f"{r['probe']:.1f}"
            # (walk_whole_length_cached, the longest name: 24 characters)
            print(f"{impl[len('paired_'):]:<25}{term + '/' + length:<14}{chunk:>7}{r['ratio']:>8.2f}x"
                  f"{iqr:>15}{r['cf_bps'] / 1e6:>16.0f}{r['other_bps'] / 1e6:>12.0f}"
                  f"{cpu:>5}{probe:>10}")
    others = [k for k in rows if k[0] != "chatframe" and not k[0].startswith("paired_")
              and rows[k]["apf"] not in (0.0,)]
    for k in sorted(others):
        if rows[k]["apf"] == rows[k]["apf"]:  # not NaN
            print(f"note: {'/'.join(map(str, k))} allocates {rows[k]['apf']:.3g} per frame")


if __name__ == "__main__":
    main()
