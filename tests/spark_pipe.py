"""Runs `quotestance label -` as an Apache Spark RDD.pipe worker in local mode,
the way a cluster job would (see README, "Archives on a cluster").

    python tests/spark_pipe.py QUOTESTANCE_BIN INPUT.jsonl OUTPUT.jsonl PARTITIONS MODEL_DIR

Each partition of the JSONL input is piped through its own `quotestance label
-` process; the labeled lines of all partitions are collected into OUTPUT.
RDD.pipe starts workers with an empty environment, so the model directory
(and any other QUOTESTANCE_* setting) is handed over explicitly.
Used by tests/spark.rs.
"""
import os
import sys

from pyspark import SparkConf, SparkContext


def main():
    binary, input_path, output_path, partitions, model_dir = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    env = {k: v for k, v in os.environ.items() if k.startswith("QUOTESTANCE_")}
    env["QUOTESTANCE_MODEL_DIR"] = model_dir
    conf = SparkConf().setMaster("local[2]").setAppName("quotestance-label").set("spark.ui.enabled", "false")
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    try:
        lines = sc.textFile(input_path, minPartitions=partitions)
        used = lines.getNumPartitions()
        # checkCode: a worker that dies fails the job; exit code 2 (some
        # articles failed) does not happen on this clean input.
        labeled = lines.pipe(f"{binary} label -", env=env, checkCode=True).collect()
    finally:
        sc.stop()
    with open(output_path, "w", encoding="utf-8") as f:
        for line in labeled:
            f.write(line + "\n")
    print(f"spark_pipe: {len(labeled)} labeled lines from {used} partitions", file=sys.stderr)


if __name__ == "__main__":
    main()
