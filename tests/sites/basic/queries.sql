SELECT path, title, slug, url, purpose, reading_order, draft, date, is_home FROM notes ORDER BY id
SELECT n.path, h.idx, h.level, h.text, h.anchor, h.line FROM headings h JOIN notes n ON n.id = h.note ORDER BY n.id, h.idx
SELECT s.path, l.line, l.col, l.kind, l.target_text, l.heading_text, l.label, t.path AS target, l.target_heading, l.context FROM links l JOIN notes s ON s.id = l.source LEFT JOIN notes t ON t.id = l.target ORDER BY l.id
SELECT n.path, a.alias FROM aliases a JOIN notes n ON n.id = a.note ORDER BY n.id, a.alias
SELECT n.path, g.tag FROM tags g JOIN notes n ON n.id = g.note ORDER BY n.id, g.tag
SELECT grp, term, summary, target_text, n.path, heading, line FROM topics t LEFT JOIN notes n ON n.id = t.note ORDER BY t.id
SELECT note, linked_from, line, context FROM backlinks ORDER BY note, linked_from, line
