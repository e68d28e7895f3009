/* A small JSON Schema validator for the tests: the subset of keywords the repo's schemas use
 * (type, properties, required, additionalProperties, items, minItems, enum, minimum, maximum,
 * pattern, anyOf; $schema, $id, title, description are annotations). A keyword outside the subset
 * is an error, so a schema can never pass by using something this validator ignores. */
#ifndef GT_TEST_JSON_SCHEMA_H
#define GT_TEST_JSON_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* 0 when value conforms to schema; -1 otherwise, with the JSON path and the violated keyword in
 * msg ("$.tables[0].entries[1].clean_acc: pattern ..."). */
int gt_schema_validate(const cJSON *schema, const cJSON *value, char *msg, size_t size);

/* The same on files; a file that does not parse is a failure with its name in msg. */
int gt_schema_validate_files(const char *schema_path, const char *json_path, char *msg, size_t size);

#endif
