/* kb.h - the model every stage shares: configuration, notes, headings,
 * links, topics and tags. No library headers here: stages keep their
 * library types (cmark nodes, YAML events, sqlite handles) to themselves
 * and hang them off the opaque pointers below.
 *
 * Data flows one way: scan fills notes[] with paths and sources,
 * frontmatter fills the metadata, markdown fills headings and links,
 * ledger fills topics, graph resolves links and topics to notes and
 * headings, render produces pages, output writes them. Indexes into
 * kb->notes (int, -1 for "none") are how stages refer to notes. */
#ifndef KBC_KB_H
#define KBC_KB_H

#include <stdbool.h>
#include <stddef.h>

#include "ytree.h"

struct kb_config {
	char *root;            /* project root, absolute */
	char *config_path;     /* kb.yaml as shown in diagnostics, or NULL */
	char *title;           /* site title */
	char *description;     /* site description ("" if none) */
	char *base_url;        /* absolute URL with trailing "/", or "" */
	char *language;        /* BCP 47 tag, default "en" */
	char *notes_dir;       /* absolute */
	char *output_dir;      /* absolute */
	char *ledger_path;     /* absolute; may not exist */
	char *home;            /* note reference for the home page, or NULL */
	bool unsafe_html;      /* keep raw HTML from notes */
	bool drafts;           /* include notes with draft: true */
	/* Limits (kb.yaml `limits:`; defaults and reasons in README "Limits"). */
	long max_note_bytes;   /* note_bytes: size of one note file */
	long max_line_bytes;   /* line_bytes: one line of a note */
	long max_nesting;      /* nesting: lists and block quotes inside each other */
	long max_embed_depth;  /* embed_depth: embeds inside embedded notes */
	long max_notes;        /* notes: notes in the vault */
	struct ylimits yaml;   /* yaml_depth, yaml_alias_nodes: front matter and ledger */
};

struct kb_heading {
	int level;             /* 1..6 */
	char *text;            /* plain text of the heading */
	char *id;              /* unique id on its page */
	int line, col;         /* file position */
};

enum kb_link_kind {
	KB_LINK_WIKI,          /* [[Target#Heading|label]] */
	KB_LINK_EMBED,         /* ![[Target#Heading]] */
	KB_LINK_MARKDOWN,      /* [text](other.md#heading) */
	KB_LINK_TAG,           /* an inline #tag (target: the tag) */
};

struct kb_link {
	enum kb_link_kind kind;
	char *target;          /* note part as written ("" for [[#H]]) */
	char *heading;         /* heading part, or NULL */
	char *label;           /* explicit label, or NULL */
	int line, col;         /* file position of the link */
	int to_note;           /* resolved note, or -1 */
	int to_heading;        /* resolved heading of to_note, or -1 */
	char *context;         /* the sentence or list item around the link */
};

/* A section: the introduction (heading -1) or a heading and the text up
 * to the next heading. The search index makes one document of each. */
struct kb_section {
	int heading;           /* index into the note's headings, or -1 */
	char *text;            /* plain text of the body, white space folded */
};

/* What a file looked like when it was read: a change to its bytes changes
 * at least one of these (times in ns since the epoch). */
struct kb_file_sig {
	long long size, mtime, ctime, ino, dev;
};

struct kb_note {
	char *path;            /* path shown in diagnostics (relative to cwd) */
	char *rel;             /* path relative to the notes dir */
	char *src;             /* whole file, NUL-terminated */
	size_t len;            /* bytes in src */
	struct kb_file_sig sig;    /* the file as scan found it */
	unsigned char content[16]; /* XXH3-128 of the bytes read (or, when
	                            * `unread`, of the bytes the last build read) */
	bool unread;           /* not read: the build cache's signature says the
	                        * file is unchanged (scan.h); src is NULL */

	/* front matter */
	char *title;           /* always set after frontmatter stage */
	int title_line, title_col;
	bool title_from_h1;    /* taken from the first H1 */
	char **aliases;
	size_t n_aliases;
	int *alias_lines;      /* file line of each alias */
	char **tags;
	size_t n_tags;
	long order;            /* reading order */
	bool has_order;
	char *purpose;         /* one-sentence summary, or NULL */
	bool draft;
	char *slug;            /* output name without ".html" */
	char *date;            /* YYYY-MM-DD or NULL */
	size_t *line_off;      /* byte offset of each line's start (kb_index_lines) */
	size_t n_lines;
	size_t body_off;       /* byte offset of the body in src */
	int body_line;         /* file line of the body's first line */

	/* markdown */
	struct kb_heading *headings;
	size_t n_headings, cap_headings;
	struct kb_link *links;
	size_t n_links, cap_links;
	struct kb_section *sections;
	size_t n_sections, cap_sections;
	char *html;            /* rendered body (link marks until render, markdown.h) */
	size_t words;          /* words of prose */

	bool skip;             /* draft left out, or unreadable */
};

struct kb_topic {
	char *term;
	char *summary;
	char *target;          /* "Note title#Heading" as written */
	char **aliases;
	size_t n_aliases;
	size_t group;          /* index into kb->groups */
	int line, col;         /* position of the term in the ledger */
	int target_line, target_col;
	int note;              /* resolved note, or -1 */
	int heading;           /* resolved heading, or -1 */
};

struct kb_group {
	char *name;
	int line, col;
};

struct kb {
	struct kb_config cfg;
	struct kb_note *notes;
	size_t n_notes, cap_notes;
	struct kb_topic *topics;
	size_t n_topics, cap_topics;
	struct kb_group *groups;
	size_t n_groups, cap_groups;
	char *ledger_shown;    /* ledger path as shown in diagnostics */
	int home;              /* note used as the home page, or -1 */
};

void kb_free(struct kb *kb);
/* Free what the front matter and Markdown stages gave note `n` (title to
 * html) and zero those fields; its file (path, rel, src, len, line
 * offsets, signature, content hash) and the unread and skip flags stay. */
void kb_note_clear_parsed(struct kb_note *n);
/* Record where each line of the note's source starts, so positions can be
 * mapped to lines and columns in constant time. Called once per note,
 * before its Markdown is parsed. */
void kb_index_lines(struct kb_note *n);
/* Start of 1-based file line `line` of the note (its last line's end when
 * out of range). Needs kb_index_lines. */
const char *kb_line_start(const struct kb_note *n, int line);
/* Path for diagnostics: relative to the current directory when inside
 * it, else absolute. malloc'd. */
char *kb_display_path(const char *abs);
/* The same, against `cwd` (the current directory, as getcwd gives it)
 * read once by the caller: a path per note otherwise asks the kernel
 * for the directory 10,000 times. */
char *kb_display_path_in(const char *abs, const char *cwd);

#endif
