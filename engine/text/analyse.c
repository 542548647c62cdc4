/* engine/text/analyse.c: being written. */
