// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replays a fuzz target's committed corpus without libFuzzer: each file is
 * run in a child process (a failed invariant aborts), one TAP line per
 * file.  KVIRTIO_CORPUS_DIR is set by tools/Makefile; a directory given
 * on the command line replaces it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_one(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf) {
				fclose(f);
				return -1;
			}
		}
		got = fread(buf + len, 1, cap - len, f);
		if (!got)
			break;
		len += got;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : KVIRTIO_CORPUS_DIR;
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);
	int status = 0;
	pid_t pid;

	if (!d) {
		printf("# cannot open corpus %s\n", dir);
		tap.cur_failed = true;
		tap_test_end("corpus directory");
		return tap_exit();
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names)
			return 2;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	/* An empty directory leaves names NULL: qsort must not see it. */
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);

	printf("# replaying %zu inputs from %s\n", n, dir);
	tap_check(n > 0);
	tap_test_end("corpus is not empty");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fflush(stdout);
		pid = fork();
		if (pid == 0)
			_exit(run_one(path) ? 3 : 0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			printf("# %s: child failed (status %#x)\n", names[i],
			       status);
			tap.cur_failed = true;
		}
		tap_test_end(names[i]);
		free(names[i]);
	}
	free(names);
	return tap_exit();
}
