/* engine/out/jsonl.c: being written. */
