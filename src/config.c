/* config.c - kb.yaml loading and defaults; see config.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "diag.h"
#include "util.h"
#include "ytree.h"

char *config_normalise_base_url(const char *url)
{
	if (!*url)
		return xstrdup("");
	if (!str_starts(url, "http://") && !str_starts(url, "https://"))
		return NULL;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' ||
		    *p == '\\' || *p == '`' || *p == '?' || *p == '#')
			return NULL;
	const char *host = strstr(url, "://") + 3;
	if (!*host || *host == '/')
		return NULL;
	struct buf b = BUF_INIT;
	buf_puts(&b, url);
	if (b.data[b.len - 1] != '/')
		buf_putc(&b, '/');
	return buf_detach(&b);
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A string setting: any non-null scalar. Returns -1 on a type error. */
static int want_string(const char *path, const char *key, const struct ynode *v, char **dst)
{
	if (v->kind != Y_SCALAR || yis_null(v)) {
		diag_error(path, v->line, v->col, "'%s' must be a string, not a %s", key, ytype(v));
		return -1;
	}
	set_str(dst, v->value);
	return 0;
}

/* The limits settable under `limits:` in kb.yaml, with their defaults and
 * the largest value accepted (kbc recurses on nesting of YAML and embeds,
 * so those stay far below what a stack holds). Reasons for each default
 * are in README "Limits". */
struct limit_def {
	const char *key;
	long def, max;
};
static const struct limit_def limit_defs[] = {
	{ "note_bytes", 16L << 20, 1L << 30 },
	{ "line_bytes", 1L << 20, 1L << 30 },
	{ "nesting", 64, 100000 },
	{ "yaml_depth", 64, 1000 },
	{ "yaml_alias_nodes", 100000, 100000000 },
	{ "embed_depth", 8, 1000 },
	{ "notes", 100000, 100000000 },
};
enum { N_LIMITS = sizeof limit_defs / sizeof *limit_defs };

static void set_limit(struct kb_config *cfg, size_t i, long v)
{
	switch (i) {
	case 0: cfg->max_note_bytes = v; break;
	case 1: cfg->max_line_bytes = v; break;
	case 2: cfg->max_nesting = v; break;
	case 3: cfg->yaml.max_depth = (int)v; break;
	case 4: cfg->yaml.max_nodes = (size_t)v; break;
	case 5: cfg->max_embed_depth = v; break;
	default: cfg->max_notes = v; break;
	}
}

/* Read the `limits:` mapping; errors and warnings at their positions. */
static void read_limits(struct kb_config *cfg, const char *path, const struct ynode *v)
{
	if (v->kind != Y_MAP) {
		diag_error(path, v->line, v->col, "'limits' must be a mapping, not a %s", ytype(v));
		return;
	}
	for (size_t j = 0; j + 1 < v->n; j += 2) {
		const char *lk = v->items[j]->value;
		const struct ynode *lv = v->items[j + 1];
		size_t i = 0;
		while (i < N_LIMITS && strcmp(limit_defs[i].key, lk))
			i++;
		long x;
		if (i == N_LIMITS) {
			diag_warning(path, v->items[j]->line, v->items[j]->col,
				"unknown limit '%s' (known: note_bytes, line_bytes, nesting, yaml_depth, yaml_alias_nodes, embed_depth, notes)", lk);
		} else if (yget_long(lv, &x) < 0 || x <= 0 || x > limit_defs[i].max) {
			diag_error(path, lv->line, lv->col,
				"limit '%s' must be an integer from 1 to %ld", lk, limit_defs[i].max);
		} else {
			set_limit(cfg, i, x);
		}
	}
}

static char *resolve_dir(const char *root, const char *p)
{
	char *j = path_join(root, p);
	char *a = path_absolute(j);
	free(j);
	return a;
}

int config_load(struct kb_config *cfg, const char *root)
{
	int rc = -1;
	struct buf text = BUF_INIT;
	struct ynode *doc = NULL;
	char *notes = xstrdup("notes"), *output = xstrdup("site"), *ledger = NULL;

	memset(cfg, 0, sizeof *cfg);
	cfg->root = path_absolute(root);
	cfg->title = NULL;
	cfg->description = xstrdup("");
	cfg->base_url = xstrdup("");
	cfg->language = xstrdup("en");
	for (size_t i = 0; i < N_LIMITS; i++)
		set_limit(cfg, i, limit_defs[i].def);

	char *file = path_join(cfg->root, "kb.yaml");
	struct stat st;
	if (stat(file, &st) < 0) {
		if (errno != ENOENT) {
			diag_sys("cannot read %s: %s", file, strerror(errno));
			goto out;
		}
	} else {
		cfg->config_path = kb_display_path(file);
		if (file_read(file, &text) < 0) {
			diag_sys("cannot read %s: %s", cfg->config_path, strerror(errno));
			goto out;
		}
		bool ok;
		size_t before = diag_errors();
		doc = ytree_parse(text.data, text.len, cfg->config_path, 1, NULL, &ok);
		if (!ok)
			goto out;
		if (doc && doc->kind != Y_MAP) {
			diag_error(cfg->config_path, doc->line, doc->col,
				"kb.yaml must be a mapping of settings, not a %s", ytype(doc));
			goto out;
		}
		const char *path = cfg->config_path;
		for (size_t i = 0; doc && i + 1 < doc->n; i += 2) {
			const char *k = doc->items[i]->value;
			const struct ynode *v = doc->items[i + 1];
			if (!strcmp(k, "title")) {
				want_string(path, k, v, &cfg->title);
			} else if (!strcmp(k, "description")) {
				want_string(path, k, v, &cfg->description);
			} else if (!strcmp(k, "language")) {
				want_string(path, k, v, &cfg->language);
			} else if (!strcmp(k, "notes")) {
				want_string(path, k, v, &notes);
			} else if (!strcmp(k, "output")) {
				want_string(path, k, v, &output);
			} else if (!strcmp(k, "ledger")) {
				want_string(path, k, v, &ledger);
			} else if (!strcmp(k, "home")) {
				want_string(path, k, v, &cfg->home);
			} else if (!strcmp(k, "base_url")) {
				char *raw = NULL;
				if (want_string(path, k, v, &raw) == 0) {
					char *n = config_normalise_base_url(raw);
					if (!n)
						diag_error(path, v->line, v->col,
							"base_url must be an absolute http:// or https:// URL without query or fragment, not '%s'", raw);
					else
						set_str(&cfg->base_url, n);
					free(n);
				}
				free(raw);
			} else if (!strcmp(k, "unsafe_html")) {
				if (yget_bool(v, &cfg->unsafe_html) < 0)
					diag_error(path, v->line, v->col,
						"'unsafe_html' must be true or false, not a %s", ytype(v));
			} else if (!strcmp(k, "limits")) {
				read_limits(cfg, path, v);
			} else {
				diag_warning(path, doc->items[i]->line, doc->items[i]->col,
					"unknown setting '%s' (known: title, description, base_url, language, notes, output, ledger, home, unsafe_html, limits)", k);
			}
		}
		if (diag_errors() != before)
			goto out;
	}
	cfg->notes_dir = resolve_dir(cfg->root, notes);
	cfg->output_dir = resolve_dir(cfg->root, output);
	if (ledger) {
		cfg->ledger_path = resolve_dir(cfg->root, ledger);
	} else {
		cfg->ledger_path = path_join(cfg->notes_dir, "ledger.yaml");
	}
	rc = 0;
out:
	if (!cfg->notes_dir)
		cfg->notes_dir = resolve_dir(cfg->root, notes);
	if (!cfg->output_dir)
		cfg->output_dir = resolve_dir(cfg->root, output);
	if (!cfg->ledger_path)
		cfg->ledger_path = path_join(cfg->notes_dir, "ledger.yaml");
	free(notes);
	free(output);
	free(ledger);
	free(file);
	ytree_free(doc);
	buf_free(&text);
	return rc;
}

void config_free(struct kb_config *cfg)
{
	free(cfg->root);
	free(cfg->config_path);
	free(cfg->title);
	free(cfg->description);
	free(cfg->base_url);
	free(cfg->language);
	free(cfg->notes_dir);
	free(cfg->output_dir);
	free(cfg->ledger_path);
	free(cfg->home);
	memset(cfg, 0, sizeof *cfg);
}
