"""pyarrow's figures for the same table as the TypeScript bench (one phase per process, JSON line out).

write <ts-entry-dir> <out.parquet>: re-writes the TypeScript parts with pyarrow (zstd, its defaults,
  4096-row groups), timing only the write calls; batches are read one at a time (bounded memory).
read <ts-entry-dir>: the TypeScript entry's own parts: streams every column in 2048-row batches
  (pyarrow's default threads, then one thread); reads 3 columns whole; reads 5 columns into Python
  dicts (to_pylist), as the TypeScript side makes row objects.
group-by <ts-entry-dir>: mean reward and count per (query_id, method) over the parts.
"""

import glob
import json
import resource
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq


def report(phase: str, **fields: object) -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"phase": phase, **fields, "max_rss_mb": round(peak_mb)}))


def parts(entry: str) -> list[str]:
    return sorted(glob.glob(f"{entry}/part-*.parquet"))


def write(entry: str, out: str) -> None:
    files = parts(entry)
    schema = pq.ParquetFile(files[0]).schema_arrow
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    spent, rows, nbytes = 0.0, 0, 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            t = time.perf_counter()
            writer.write_batch(batch, row_group_size=4096)
            spent += time.perf_counter() - t
            rows += batch.num_rows
            nbytes += batch.nbytes
    t = time.perf_counter()
    writer.close()
    spent += time.perf_counter() - t
    import os

    report("py-write", rows=rows, seconds=spent, rows_per_s=rows / spent, mb_per_s=nbytes / spent / 1e6,
           arrow_mb=nbytes / 1e6, file_mb=os.path.getsize(out) / 1e6)


BATCH = 2048
PROJECTED = ["query_id", "method", "reward"]
ESTIMATE_COLUMNS = ["query_id", "mode", "sample", "method", "reward"]


def stream(files: list[str], use_threads: bool) -> tuple[int, int, float]:
    t = time.perf_counter()
    rows, nbytes = 0, 0
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, use_threads=use_threads):
            rows += batch.num_rows
            nbytes += batch.nbytes
    return rows, nbytes, time.perf_counter() - t


def read(entry: str) -> None:
    files = parts(entry)
    rows, nbytes, spent = stream(files, use_threads=True)
    _, _, spent1 = stream(files, use_threads=False)
    t = time.perf_counter()
    proj = pa.concat_tables(pq.read_table(p, columns=PROJECTED) for p in files)
    projected = time.perf_counter() - t
    t = time.perf_counter()
    objects = pa.concat_tables(pq.read_table(p, columns=ESTIMATE_COLUMNS) for p in files).to_pylist()
    report("py-read", rows=rows, seconds=spent, rows_per_s=rows / spent, mb_per_s=nbytes / spent / 1e6,
           arrow_mb=nbytes / 1e6, one_thread_seconds=spent1, projected_rows=proj.num_rows,
           projected_seconds=projected, objects_rows=len(objects), objects_seconds=time.perf_counter() - t)


def group_by(entry: str) -> None:
    t = time.perf_counter()
    table = pa.concat_tables(pq.read_table(p, columns=["query_id", "method", "reward"]) for p in parts(entry))
    out = table.group_by(["query_id", "method"]).aggregate([("reward", "mean"), ("reward", "count")])
    report("py-group-by", rows=table.num_rows, groups=out.num_rows, seconds=time.perf_counter() - t)


if __name__ == "__main__":
    phase, *args = sys.argv[1:]
    {"write": write, "read": read, "group-by": group_by}[phase](*args)
