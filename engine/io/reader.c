/* engine/io/reader.c: being written. */
