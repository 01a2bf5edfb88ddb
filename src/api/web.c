/*
 * web.c - the console's static files: GET of any path outside /api/, /ocpp/,
 * /healthz and /metrics is a file under the web root (docs/console.md), "/"
 * being index.html. Paths with "..", a backslash or a hidden segment are
 * refused; no directory listings. HTML is revalidated on every load, vendored
 * libraries are cached for a day, the rest for five minutes.
 */
#include "api/internal.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WEB_MAX_FILE (16u << 20)

static const struct {
	const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
			if (strcmp(dot, content_types[i].ext) == 0)
				return content_types[i].type;
	return NULL;
}

/* What lives in the web root for building the console, not for browsers. */
static const char *const build_only[] = {"/node_modules/", "/scripts/", "/package.json", "/package-lock.json"};

/* Whether path is one the console may serve: absolute, no "..", no hidden segment,
 * nothing of the build. */
static int safe_path(const char *path)
{
	if (path[0] != '/' || strchr(path, '\\'))
		return 0;
	for (size_t i = 0; i < sizeof(build_only) / sizeof(build_only[0]); i++)
		if (strncmp(path, build_only[i], strlen(build_only[i])) == 0)
			return 0;
	for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
		if (p[1] == '.')
			return 0; /* "..", ".git", ".env" */
	return 1;
}

/* Reads a regular file of at most WEB_MAX_FILE bytes; NULL if missing or too big. */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > WEB_MAX_FILE)
		return NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int api_web_file(api_ctx *c, const char *path)
{
	const api *a = c->a;
	if (!a->web_root[0] || !safe_path(path))
		return 0;
	const char *rel = strcmp(path, "/") == 0 ? "/index.html" : path;
	const char *type = content_type(rel);
	if (!type)
		return 0;
	char full[PATH_MAX + 1024]; /* web_root + the request path */
	if (snprintf(full, sizeof(full), "%s%s", a->web_root, rel) >= (int)sizeof(full))
		return 0;
	size_t len = 0;
	char *body = read_file(full, &len);
	if (!body)
		return 0;
	const char *cache = "public, max-age=300";
	if (strncmp(type, "text/html", 9) == 0)
		cache = "no-cache";
	else if (strncmp(rel, "/vendor/", 8) == 0)
		cache = "public, max-age=86400";
	net_http_respond_cached(c->req, 200, type, cache, body, len);
	return 1;
}
