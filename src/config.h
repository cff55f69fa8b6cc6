/* config.h - kb.yaml: site settings with defaults.
 *
 * config_load() fills kb->cfg from ROOT/kb.yaml when it exists and from
 * the embedded defaults otherwise (notes/ into site/, ledger
 * notes/ledger.yaml). Unknown keys are warnings at their position; a value
 * of the wrong type is an error at its position. Returns 0, or -1 when the
 * file had errors (they are reported) or could not be read (errno).
 *
 * `limits:` sets the input limits of kb_config (note_bytes, line_bytes,
 * nesting, yaml_depth, yaml_alias_nodes, embed_depth, notes); each must be
 * an integer from 1 to a ceiling, and defaults are filled in first. kb.yaml
 * itself is read with the default YAML limits. */
#ifndef KBC_CONFIG_H
#define KBC_CONFIG_H

#include "kb.h"

int config_load(struct kb_config *cfg, const char *root);
/* Check and normalise a base URL (absolute http/https, ends in "/").
 * Returns a malloc'd string, or NULL when it is not acceptable. */
char *config_normalise_base_url(const char *url);
void config_free(struct kb_config *cfg);

#endif
