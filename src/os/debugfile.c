/* SPDX-License-Identifier: MIT */
/*
 * debugfile.c - detached debug files.  A candidate is accepted only if it
 * is the debug file of this very build: same build-id, or (for a
 * debuglink) the CRC recorded in the image.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "os/debugfile.h"

static bool
try_buildid(const struct pmf__elf *image, const char *path,
	    struct pmf__elf *out, struct pmf__sb *tried)
{
	if (pmf__elf_open(out, path, NULL) < 0) {
		pmf__sb_printf(tried, "%s%s (absent)", tried->len ? ", " : "",
			       path);
		return false;
	}
	if (strcmp(out->build_id, image->build_id) == 0 &&
	    out->symtab.n > 0)
		return true;
	pmf__sb_printf(tried, "%s%s (%s)", tried->len ? ", " : "", path,
		       out->symtab.n > 0 ? "other build-id" : "no symbols");
	pmf__elf_close(out);
	return false;
}

static bool
try_debuglink(const struct pmf__elf *image, const char *path,
	      struct pmf__elf *out, struct pmf__sb *tried)
{
	if (pmf__elf_open(out, path, NULL) < 0) {
		pmf__sb_printf(tried, "%s%s (absent)", tried->len ? ", " : "",
			       path);
		return false;
	}
	uint32_t crc = pmf__crc32(0, out->base, out->size);
	if (crc == image->debuglink_crc && out->symtab.n > 0)
		return true;
	pmf__sb_printf(tried, "%s%s (CRC mismatch)", tried->len ? ", " : "",
		       path);
	pmf__elf_close(out);
	return false;
}

int
pmf__debugfile_find(const struct pmf__elf *image, const char *path,
		    pid_t pid, const char *dir, struct pmf__elf *out,
		    char found[PATH_MAX], struct pmf__err *e)
{
	char roots[2][64];
	struct pmf__sb tried = PMF__SB_INIT;
	if (dir == NULL)
		dir = "/usr/lib/debug";
	snprintf(roots[0], sizeof(roots[0]), "/proc/%d/root", (int)pid);
	roots[1][0] = '\0';

	/* The image's directory, for debuglink candidates. */
	char imgdir[PATH_MAX];
	snprintf(imgdir, sizeof(imgdir), "%s", path);
	char *slash = strrchr(imgdir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		imgdir[0] = '\0';

	for (int r = 0; r < 2; r++) {
		const char *root = roots[r];
		if (image->build_id[0] != '\0' &&
		    strlen(image->build_id) > 2) {
			snprintf(found, PATH_MAX, "%s%s/.build-id/%.2s/%s.debug",
				 root, dir, image->build_id,
				 image->build_id + 2);
			if (try_buildid(image, found, out, &tried))
				goto ok;
		}
		if (image->debuglink != NULL &&
		    strchr(image->debuglink, '/') == NULL) {
			static const char *const subdirs[] = {"", "/.debug"};
			for (int k = 0; k < 2; k++) {
				snprintf(found, PATH_MAX, "%s%s%s/%s", root,
					 imgdir, subdirs[k], image->debuglink);
				if (try_debuglink(image, found, out, &tried))
					goto ok;
			}
			snprintf(found, PATH_MAX, "%s%s%s/%s", root, dir,
				 imgdir, image->debuglink);
			if (try_debuglink(image, found, out, &tried))
				goto ok;
		}
	}
	if (image->build_id[0] == '\0' && image->debuglink == NULL)
		pmf__err_set(e, PMF_ENOSTATE,
			     "%s has neither a build-id nor a debuglink", path);
	else
		pmf__err_set(e, PMF_ENOSTATE, "no debug file for %s: tried %s",
			     path, pmf__sb_str(&tried));
	pmf__sb_free(&tried);
	return PMF_ENOSTATE;
ok:
	pmf__sb_free(&tried);
	return 0;
}
