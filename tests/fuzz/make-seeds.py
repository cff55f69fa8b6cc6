#!/usr/bin/env python3
"""make-seeds.py KBC - (re)write the seed corpora in tests/fuzz/corpus/.

Seeds are small real inputs: pieces of the shipped notes, ledger and
templates, the test sites and diagnostics cases, and hand-written hostile
cases. Each file is capped at 4 KiB (the fuzzers' input size). The search
seeds are block payloads cut from the index kbc builds for
tests/sites/basic (fuzz_search.c explains the layout), so KBC is a built
kbc. Run from anywhere; the output is deterministic.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CAP = 4096


def rd(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def cut(data, cap=CAP):
    """At most `cap` bytes, ending on a line break when one is near."""
    if len(data) <= cap:
        return data
    d = data[:cap]
    nl = d.rfind(b"\n")
    return d[: nl + 1] if nl > cap // 2 else d


class Corpus:
    def __init__(self, name):
        self.dir = os.path.join(HERE, "corpus", name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def add(self, name, data, cap=CAP):
        if isinstance(data, str):
            data = data.encode()
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(cut(data, cap) if cap else data)


def notes(*patterns):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(ROOT, p), recursive=True))
    return [os.path.relpath(p, ROOT) for p in out]


def front(data):
    """The front matter of a note and the first lines after it."""
    m = re.match(rb"(---\n.*?\n(---|\.\.\.)\n)", data, re.S)
    return (m.group(1) + b"\n" + data[m.end():][:300]) if m else data[:600]


HOSTILE_FRONT = {
    "bomb": "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\nBody.\n",
    "deep": "---\ntitle: Deep\nx: " + "[" * 300 + "]" * 300 + "\n---\n",
    "deep-map": "---\n" + "".join("  " * i + "k%d:\n" % i for i in range(80)) + "---\n",
    "tags": "---\ntitle: !!str T\nx: !!binary aGk=\ny: !custom z\norder: !!int 3\n---\n",
    "dup": "---\ntitle: A\ntitle: B\naliases: [a, a]\n---\n",
    "unclosed": "---\ntitle: Never closed\n\nBody.\n",
    "code-fence": "---\ntitle: Closed by code\n\n```\n---\n```\n",
    "dots": "---\ntitle: Dots\n...\nBody\n",
    "crlf": "---\r\ntitle: CRLF\r\ntags: [a, b]\r\n---\r\nBody\r\n",
    "types": "---\ntitle: [1, 2]\naliases: {a: b}\ntags: 3\norder: x\ndraft: maybe\nslug: ../x\ndate: 2024-13-40\n---\n",
    "script": "---\ntitle: \"Bad </title><script>alert(1)</script>\"\naliases: [\"<img src=x onerror=alert(1)>\"]\n"
              "tags: [ok, \"a b\", \"<b>\"]\n---\n",
    "anchors": "---\ntitle: &t T\naliases: [*t, *t]\nx: *missing\n---\n",
    "empty": "",
    "only-fence": "---\n",
    "two-docs": "---\ntitle: A\n--- \n---\ntitle: B\n---\n",
    "flow": "---\n{title: T, tags: [a, b], order: 1, draft: false, date: 2024-01-02, slug: ok}\n---\n",
    "block-scalar": "---\ntitle: |\n  two\n  lines\npurpose: >-\n  folded\n  text\n---\n",
    "unicode": "---\ntitle: \"Ünïcödé \\u00e9 \\U0001F600\"\naliases: [\"ﬁ\", \"e\\u0301\"]\n---\n",
}

HOSTILE_MD = {
    "wikilinks": "[[A]] [[A|label]] [[A#H]] [[#H]] [[A#H|l]] ![[A]] ![[A#H]] [[]] [[|x]] [[a\\|b]] "
                 "[[[[x]]]] [[x]]] `[[code]]` [[a\nb]] [[../../etc/passwd]] [[/abs]]\n",
    "table": "| a | b |\n|---|---|\n| [[x\\|y]] | [[p#q\\|r]] |\n| ![[e]] | `[[c]]` |\n",
    "nesting": "> " * 200 + "deep\n" + "".join("  " * i + "- item\n" for i in range(100)),
    "urls": "[a](javascript:alert(1)) ![i](file:///etc/passwd) [b](/etc/passwd) [c](other.md#h) "
            "[d](x.md) <javascript:alert(2)> [e](JAVASCRIPT:x) [f](data:text/html,x) [g](vbscript:x)\n",
    "html": "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n# Heading <b>x</b>\n\ntext <span>x</span>\n",
    "headings": "# A\n## A\n## A\n### a\n# \n## [[x]] link\nSetext\n===\n####### seven\n",
    "callouts": "> [!NOTE]\n> text\n\n> [!warning]- Folded\n> > [!tip]\n> > inner\n\n> [!unknown]\n",
    "code": "```js\nconst a = `[[x]]`;\n```\n\n~~~c\nint x; /* [[y]] */\n~~~\n",
    "footnotes": "Text[^1] and [^x].\n\n[^1]: Note [[a]].\n[^x]: ![[b#c]]\n",
    "tags-inline": "Text #tag #a/b #1 #-x #ü and [[x]]#y\n",
    "embeds": "![[a]]\n\nText ![[b#h]] inline\n\n- ![[c]]\n",
    "entities": "&amp; &#0; &#x110000; &nbsp; &bogus; \\[[not]] \\\\[[yes]]\n",
}

MERMAID_HOSTILE = {
    "shapes": "flowchart TD\n  a[A] --> b(B) --> c([C]) --> d((D)) --> e(((E)))\n  f{F} --> g{{G}} --> h[[H]] --> i[(I)]\n"
              "  j>J] --> k[/K/] --> l[\\L\\] --> m[/M\\] --> n[\\N/]\n",
    "edges": "graph LR\nA-->B\nA---C\nA-.->D\nA-.-E\nA==>F\nA===G\nA--oH\nA--xI\nA--->J\nA<-->K\nA -->|l| L\nA -- t --> M\n",
    "groups": "flowchart LR\n  A & B --> C & D\n  C --> E --> F\n",
    "subgraphs": "flowchart TB\n subgraph one [One]\n  a --> b\n  subgraph two\n   c\n  end\n end\n one --> c\n b --> two\n",
    "front": "---\ntitle: T <b>\n---\nflowchart LR\n  A[\"q &quot; #quot; #35; <br> x\"] --> B\n",
    "styles": "flowchart LR\n%% comment\n  classDef x fill:#f00\n  class A x\n  style A fill:#0f0\n  linkStyle 0 stroke:red\n"
              "  click A call x()\n  A:::x --> B\n  direction RL\n",
    "errors": "flowchart LR\n  A --> \n  B[unclosed\n",
    "unclosed-sub": "flowchart LR\nsubgraph s\nA\n",
    "semicolons": "graph TD;A-->B;B-->C;C-->A;",
    "empty": "",
    "seq": "sequenceDiagram\n  A->>B: hi\n",
    "unicode": "flowchart LR\n  ü[Ünïcödé] --> 日本[日本語 😀]\n",
    "deep-sub": "flowchart TB\n" + "subgraph s%d\n" * 1 + "".join("subgraph s%d\n" % i for i in range(40)) + "a\n" + "end\n" * 41,
}

TEMPLATES = {
    "basic": "<title>{{title}}</title>{{{title}}}{{& title}}{{site.title}}{{.}}",
    "sections": "{{#notes}}<a href=\"{{url}}\">{{title}}</a>{{#tags}}{{.}}{{/tags}}{{/notes}}{{^nothing}}none{{/nothing}}",
    "partials": "{{> a}}\n%%%%\nA {{title}} {{> b}}\n%%%%\nB {{#yes}}{{site.base}}{{/yes}}",
    "recursive": "{{> a}}\n%%%%\n{{> b}}{{> b}}\n%%%%\n{{> a}}",
    "errors": "{{#open}}{{/close}} {{unknown}} {{ bad name }} {{%x}} {{title\n}} {{{raw}} {{/}}",
    "comments": "{{! a comment }}{{!}}{{#none}}{{x}}{{/none}}{{^yes}}no{{/yes}}{{#empty}}e{{/empty}}",
    "dots": "{{#site}}{{title}}{{base}}{{/site}}{{notes.title}}{{none.x}}{{title.x}}",
    "print-list": "{{notes}}{{site}}",
}


def main():
    kbc = sys.argv[1]

    c = Corpus("frontmatter")
    for p in notes("notes/*.md", "tests/sites/**/notes/**/*.md", "tests/diag/**/notes/**/*.md"):
        c.add(p, front(rd(p)))
    for k, v in HOSTILE_FRONT.items():
        c.add("hostile-" + k, v)

    # Diagrams are fuzz_mermaid's: Graphviz layouts would slow this target
    # a hundredfold, so its seeds have no diagram blocks.
    c = Corpus("markdown")
    diagram = re.compile(rb"^```(mermaid|dot)\n.*?^```\n", re.S | re.M)
    for p in notes("tests/sites/**/notes/**/*.md", "tests/diag/**/notes/**/*.md", "notes/0[0-3]*.md"):
        c.add(p, diagram.sub(b"", rd(p)))
    for k, v in HOSTILE_MD.items():
        c.add("hostile-" + k, v)

    c = Corpus("ledger")
    for p in notes("notes/ledger.yaml", "tests/**/ledger.yaml"):
        c.add(p, rd(p))
    c.add("hostile-empty", "")
    c.add("hostile-not-map", "- a\n- b\n")
    c.add("hostile-types", "groups:\n  - name: [x]\n  - name: G\n    topics: 3\n  - name: H\n    topics:\n"
          "      - term: \"a\\nb\"\n        summary: {x: y}\n        note: 1\n        aliases: 3\n      - x\n")
    c.add("hostile-dup", "groups:\n  - name: G\n    topics:\n      - {term: Event Loop, summary: s, note: n}\n"
          "      - {term: \"event  loop \", summary: s, note: n, aliases: [a, [b]]}\n      - {term: \" event loop\", summary: s, note: n}\n")
    c.add("hostile-bomb", HOSTILE_FRONT["bomb"].replace("---\n", ""))
    c.add("hostile-unknown", "groups: []\nextra: 1\n")

    c = Corpus("template")
    for p in notes("templates/*.html", "tests/diag/**/templates/*.html"):
        c.add(p, rd(p))
    for k, v in TEMPLATES.items():
        c.add("hand-" + k, v)

    c = Corpus("mermaid")
    fence = re.compile(rb"^```mermaid\n(.*?)^```", re.S | re.M)
    for p in notes("notes/*.md", "tests/sites/**/*.md", "tests/diag/**/*.md"):
        for i, m in enumerate(fence.finditer(rd(p))):
            c.add("%s-%d" % (p, i), m.group(1))
    for k, v in MERMAID_HOSTILE.items():
        c.add("hostile-" + k, v)

    c = Corpus("search")
    sep = b"\n@@kbc-file@@\n"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([kbc, "build", "-q", "-C", os.path.join(ROOT, "tests/sites/basic"), "-o", tmp + "/site"],
                       check=True)
        d = tmp + "/site/search"
        blobs = [open(os.path.join(d, "meta.bin"), "rb").read()]
        # t-b000.bin holds the term shards one after the other: split it at
        # each block's length (header bytes 8-11, little-endian).
        for f in sorted(glob.glob(os.path.join(d, "t-b*.bin"))):
            pack = open(f, "rb").read()
            while pack:
                n = 16 + int.from_bytes(pack[8:12], "little")
                blobs.append(pack[:n])
                pack = pack[n:]
        payloads = sep.join(b[16:] for b in blobs)
        raw = sep.join(blobs)
        for i, q in enumerate(["alpha", "\"exact phrase\" +beta -gamma", "title:alpha tag:x", "alp*",
                               "alhpa", "--max-old-space-size node:fs", ""]):
            c.add("basic-%d" % i, bytes([2 if i == 3 else 0]) + q.encode() + b"\n" + payloads, cap=0)
        c.add("basic-raw", b"\x01alpha beta\n" + raw, cap=0)
        c.add("basic-raw-live", b"\x03gam\n" + raw, cap=0)
        c.add("hostile-empty", b"\x00x\n")
        c.add("hostile-bad-query", b"\x02\xff\xfe-\"unclosed +* -*:\n" + payloads, cap=0)


if __name__ == "__main__":
    main()
