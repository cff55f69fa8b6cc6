/* template.h - a small logic-less template language (mustache-like).
 *
 *   {{name}} {{a.b}} {{.}}   value, HTML-escaped
 *   {{{name}}} {{& name}}    value, raw (explicit)
 *   {{#name}}...{{/name}}    section: once per list item, once for true /
 *                            a map / a non-empty string, never for false,
 *                            null, "" or an empty list
 *   {{^name}}...{{/name}}    inverted section: only when the value is falsy
 *   {{> partial}}            include templates/partial.html
 *   {{! comment }}           nothing
 *
 * Names are looked up from the innermost section outwards; a name found
 * nowhere is an error at the tag, so typos never silently print nothing.
 * Templates are read from a list of folders (the project's templates/
 * first, then kbc's defaults), file by file. Errors point at
 * template-file:line:col through diag. */
#ifndef KBC_TEMPLATE_H
#define KBC_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Values: the data a template sees. A map owns its values, not its keys:
 * a key must outlive the map (the callers' keys are string literals).
 * A string value owns its bytes, unless made by tv_ref(). A value marked
 * by tv_share() belongs to no container: tv_free() of a list or map
 * holding it leaves it alone, so one value can sit in many pages' data;
 * its maker frees it with tv_free_shared() once no page uses it. Values
 * are never modified while templates read them, so shared values can be
 * read from several threads. */
enum tv_kind { TV_NULL, TV_BOOL, TV_STR, TV_LIST, TV_MAP };
struct tval {
	enum tv_kind kind;
	bool b;
	bool borrowed;         /* s is not ours (tv_ref) */
	bool shared;           /* not freed with its container (tv_share) */
	bool in_arena;         /* made in an arena: freed with it (tv_arena_use) */
	const char *s;
	size_t len;            /* strlen(s) */
	char *esc;             /* shared strings: s HTML-escaped, made once */
	size_t esc_len;
	struct tval **items;   /* list items, or map values */
	const char **keys;     /* map keys (not owned) */
	size_t n, cap;
};

struct tval *tv_null(void);
struct tval *tv_bool(bool b);
struct tval *tv_str(const char *s);        /* copies; NULL gives TV_NULL */
struct tval *tv_str_own(char *s);          /* takes ownership */
/* A string value that borrows `s` (NULL gives TV_NULL): s must outlive
 * the value and every render that reads it. No copy is made. */
struct tval *tv_ref(const char *s);
struct tval *tv_list(void);
struct tval *tv_map(void);
/* Add to a list / set in a map; both take ownership of `v` (unless it is
 * shared), return it. `key` is not copied. */
struct tval *tv_push(struct tval *list, struct tval *v);
struct tval *tv_set(struct tval *map, const char *key, struct tval *v);
const struct tval *tv_get(const struct tval *map, const char *key);
/* Free `v` and what it owns; nothing for a shared value. */
void tv_free(struct tval *v);
/* Mark `v` shared (see above) and return it. The strings in it are
 * escaped now, once, rather than on every page that prints them; `v`
 * must not be changed afterwards. */
struct tval *tv_share(struct tval *v);
/* Free a shared value and what it owns. */
void tv_free_shared(struct tval *v);

/* An arena: values made on a thread while it uses one (tv_arena_use)
 * are carved from large blocks and all freed at once by tv_arena_free(),
 * not one by one (tv_free() leaves them alone). Strings given with
 * tv_str_own() are freed then too. A value made in an arena may hold only
 * values of the same arena, or shared ones, and is changed (tv_push,
 * tv_set) only on a thread using that arena. */
struct tv_arena {
	struct tv_block *blocks;   /* newest first */
	char **owned;              /* tv_str_own() strings */
	size_t n_owned, cap_owned;
};
#define TV_ARENA_INIT { NULL, NULL, 0, 0 }
/* Make this thread's values in `a` from now on (NULL: on the heap, as
 * by default); returns the arena it used before. */
struct tv_arena *tv_arena_use(struct tv_arena *a);
/* Free every value made in `a`; it can be used again. */
void tv_arena_free(struct tv_arena *a);

struct template_set;

/* A set reading templates from `dirs` (first match wins). Copies them. */
struct template_set *template_set_new(const char *const *dirs, size_t n_dirs);
void template_set_free(struct template_set *ts);
/* Add template `name` from memory (src[0..len), not NUL-terminated, shown
 * as `path` in diagnostics), compiled now and found before any folder.
 * Compile errors are reported now and make later renders of it fail.
 * Returns 0, or -1 (nothing added) when `name` is already loaded. For
 * tests and fuzzing, which need no files. */
int template_set_add(struct template_set *ts, const char *name, const char *path, const char *src,
	size_t len);
/* Render template `name` ("note.html") with `ctx` appended to `out`.
 * Returns 0, or -1 on any error (reported, once per template tag). */
int template_render(struct template_set *ts, const char *name, const struct tval *ctx,
	struct buf *out);
/* Compile `name` without rendering; 0 ok, -1 errors reported. */
int template_check(struct template_set *ts, const char *name);
/* Where `name` was found (for diagnostics and tests), or NULL. */
const char *template_path(struct template_set *ts, const char *name);

#endif
