/* engine/text/stem.c: being written. */
