/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs a fuzz target over files, without libFuzzer: each
 * argument is a file, or a directory whose files are all fed.  This is
 * how make check exercises the committed corpus (under the sanitizer
 * build in CI) with the very code the fuzzer runs.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
feed(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t k;
	while (buf != NULL && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			uint8_t *b = realloc(buf, cap *= 2);
			if (b == NULL)
				free(buf);
			buf = b;
		}
	}
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	/* An exact-size copy, so that ASan sees a read past the end. */
	uint8_t *exact = malloc(n ? n : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	long files = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += feed(argv[i]) != 0;
			files++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (d == NULL) {
			perror(argv[i]);
			bad++;
			continue;
		}
		char **names = NULL;
		size_t nn = 0;
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char **v = realloc(names, (nn + 1) * sizeof(*names));
			if (v == NULL)
				break;
			names = v;
			size_t len = strlen(argv[i]) + strlen(de->d_name) + 2;
			names[nn] = malloc(len);
			if (names[nn] == NULL)
				break;
			snprintf(names[nn++], len, "%s/%s", argv[i], de->d_name);
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp_str);
		for (size_t k = 0; k < nn; k++) {
			bad += feed(names[k]) != 0;
			files++;
			free(names[k]);
		}
		free(names);
	}
	printf("%s: %ld inputs, %ld unreadable\n", argv[0], files, bad);
	return bad != 0 || files == 0;
}
