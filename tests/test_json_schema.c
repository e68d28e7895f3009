/* The tests' JSON Schema validator (tests/support/json_schema.c): it accepts conforming values and
 * rejects a violation of every keyword it supports, and the repo's schemas are themselves inside
 * its subset (the shipped configs validate against schemas/sweep.schema.json). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gt_test.h"
#include "support/json_schema.h"

#define SCHEMA_DIR GT_FIXTURES_DIR "/../../schemas"
#define CONFIG_DIR GT_FIXTURES_DIR "/../../configs"

/* 0 valid, -1 invalid; msg receives the reason. */
static int check(const char *schema_text, const char *value_text, char *msg, size_t size) {
  cJSON *s = cJSON_Parse(schema_text), *v = cJSON_Parse(value_text);
  GT_CHECK(s && v, "test JSON does not parse: %s / %s", schema_text, value_text);
  int rc = s && v ? gt_schema_validate(s, v, msg, size) : -2;
  cJSON_Delete(s);
  cJSON_Delete(v);
  return rc;
}

static void expect(const char *schema, const char *value, int valid, const char *needle) {
  char msg[512];
  int rc = check(schema, value, msg, sizeof msg);
  if (valid) {
    GT_CHECK(rc == 0, "%s should accept %s: %s", schema, value, msg);
  } else {
    GT_CHECK(rc == -1, "%s should reject %s", schema, value);
    GT_CHECK(strstr(msg, needle) != NULL, "message '%s' should mention '%s'", msg, needle);
  }
}

static void test_type(void) {
  expect("{\"type\":\"string\"}", "\"a\"", 1, "");
  expect("{\"type\":\"string\"}", "3", 0, "type");
  expect("{\"type\":\"integer\"}", "3", 1, "");
  expect("{\"type\":\"integer\"}", "3.5", 0, "type");
  expect("{\"type\":[\"number\",\"null\"]}", "null", 1, "");
  expect("{\"type\":[\"number\",\"null\"]}", "true", 0, "type");
  expect("{\"type\":\"boolean\"}", "false", 1, "");
  expect("{\"type\":\"object\"}", "[]", 0, "type");
}

static void test_objects(void) {
  const char *s = "{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false,"
                  "\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"string\"}}}";
  expect(s, "{\"a\":1,\"b\":\"x\"}", 1, "");
  expect(s, "{\"b\":\"x\"}", 0, "required: missing key 'a'");
  expect(s, "{\"a\":1,\"c\":2}", 0, "additionalProperties: key 'c'");
  expect(s, "{\"a\":\"1\"}", 0, "$.a: type");
  expect("{\"additionalProperties\":{\"type\":\"number\"}}", "{\"x\":1,\"y\":\"no\"}", 0, "$.y: type");
}

static void test_arrays_enum_range_pattern(void) {
  expect("{\"items\":{\"type\":\"integer\",\"minimum\":0}}", "[1,2,3]", 1, "");
  expect("{\"items\":{\"type\":\"integer\",\"minimum\":0}}", "[1,-2]", 0, "$[1]: minimum");
  expect("{\"minItems\":2}", "[1]", 0, "minItems");
  expect("{\"maximum\":1}", "1.5", 0, "maximum");
  expect("{\"enum\":[\"Linf\",\"L2\"]}", "\"L2\"", 1, "");
  expect("{\"enum\":[\"Linf\",\"L2\"]}", "\"L3\"", 0, "enum");
  expect("{\"pattern\":\"^[0-9]+\\\\.[0-9]{2}$\"}", "\"91.08\"", 1, "");
  expect("{\"pattern\":\"^[0-9]+\\\\.[0-9]{2}$\"}", "\"91.1\"", 0, "pattern");
  expect("{\"anyOf\":[{\"type\":\"number\"},{\"type\":\"string\",\"pattern\":\"/\"}]}", "\"8/255\"", 1, "");
  expect("{\"anyOf\":[{\"type\":\"number\"},{\"type\":\"string\",\"pattern\":\"/\"}]}", "\"8\"", 0, "anyOf");
}

/* A keyword outside the subset must not be silently ignored. */
static void test_unsupported_keyword(void) {
  expect("{\"oneOf\":[{\"type\":\"number\"}]}", "\"x\"", 0, "not supported");
}

static void test_shipped_configs_follow_schema(void) {
  static const char *const configs[] = {"ci-small.json", "quickstart.json", "ci-smoke.json", "fmnist-full.json"};
  for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
    char path[1024], msg[512];
    snprintf(path, sizeof path, "%s/%s", CONFIG_DIR, configs[i]);
    GT_CHECK(gt_schema_validate_files(SCHEMA_DIR "/sweep.schema.json", path, msg, sizeof msg) == 0, "%s: %s", path, msg);
  }
}

int main(void) {
  gt_test_run("type", test_type);
  gt_test_run("objects", test_objects);
  gt_test_run("arrays_enum_range_pattern", test_arrays_enum_range_pattern);
  gt_test_run("unsupported_keyword", test_unsupported_keyword);
  gt_test_run("shipped_configs_follow_schema", test_shipped_configs_follow_schema);
  return gt_test_finish();
}
