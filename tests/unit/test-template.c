/* template: Go text/template over JSON, docker's functions, table mode and
 * the tabwriter. Expected strings are what Go and docker print for the same
 * template and data (worked out from their rules; see each comment). */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/template.h"

static const char *const data_text =
    "{\"Repository\":\"alpine\",\"Tag\":\"latest\","
    "\"ID\":\"sha256:c059bfaa849c4d8e4aecaeb3a10c2d9b3d85f5165c66ad3a4d937758128c4d18\","
    "\"Size\":5590000,\"Ratio\":1.5,\"Big\":1000000.0,\"Huge\":123456789.0,\"Small\":0.0001,"
    "\"Tiny\":0.00001,\"Whole\":3.0,\"Neg\":-2,\"Zero\":0,"
    "\"Config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"],\"Env\":[\"PATH=/usr/bin\",\"A=b\"],"
    "\"Labels\":{\"b\":\"2\",\"a\":\"1\",\"com.x\":\"y\"},\"User\":\"\"},"
    "\"Empty\":[],\"EmptyObj\":{},\"Null\":null,\"True\":true,\"False\":false,"
    "\"HTML\":\"<a&b>/c\",\"Quote\":\"say \\\"hi\\\"\\n\",\"Mixed\":[\"a\",1,null,true],"
    "\"Nested\":{\"List\":[{\"Name\":\"x\"},{\"Name\":\"y\"}]},\"Str\":\"hello world-foo_bar\","
    "\"Uni\":\"h\\u00e9llo\"}";

struct exec_case {
	const char *tmpl;
	const char *want; /* output, or NULL when an error is expected */
	const char *err;  /* the whole error message */
};

static const struct exec_case cases[] = {
	/* fields */
	{ "{{.Repository}}:{{.Tag}}", "alpine:latest" },
	{ "{{ .Tag }}", "latest" },
	{ "{{.Config.Labels.b}}", "2" },
	{ "{{.Missing}}", "<no value>" },
	{ "{{.Missing.Deeper}}", "<no value>" },
	{ "{{.Null}}", "<no value>" },
	{ "{{$x := .Tag}}{{$x}}-{{$.Repository}}", "latest-alpine" },
	/* printing values as Go's fmt %v */
	{ "{{.Size}} {{.Neg}} {{.Zero}}", "5590000 -2 0" },
	{ "{{.Ratio}} {{.Big}} {{.Huge}} {{.Whole}}", "1.5 1e+06 1.23456789e+08 3" },
	{ "{{.Small}} {{.Tiny}}", "0.0001 1e-05" },
	{ "{{.True}} {{.False}}", "true false" },
	{ "{{.Config.Cmd}}", "[/bin/sh -c echo hi]" },
	{ "{{.Config.Labels}}", "map[a:1 b:2 com.x:y]" },
	{ "{{.Empty}} {{.EmptyObj}}", "[] map[]" },
	{ "{{.Mixed}}", "[a 1 <nil> true]" },
	{ "{{.Nested}}", "map[List:[map[Name:x] map[Name:y]]]" },
	/* literals */
	{ "{{1}} {{true}} {{-3}} {{1.5}} {{0x10}} {{1e3}} {{+7}}", "1 true -3 1.5 16 1000 7" },
	{ "{{\"a\\tb\\\"c\\\\\"}}", "a\tb\"c\\" },
	{ "{{\"\\u00e9\\x41\\101\"}}", "\xc3\xa9"
				       "AA" },
	{ "{{`a\\tb`}}", "a\\tb" },
	/* docker's command-line escapes in text, not inside raw strings */
	{ "{{.Repository}}\\t{{.Tag}}\\n", "alpine\tlatest\n" },
	{ "a\\\\n", "a\\\n" },
	/* trim markers and comments */
	{ "a  {{- .Tag}}  b", "alatest  b" },
	{ "a  {{.Tag -}} \n\t b", "a  latestb" },
	{ "a  {{- .Tag -}}  b", "alatestb" },
	{ "x {{- /* a comment */ -}} y", "xy" },
	{ "x{{/* a\ncomment */}}y", "xy" },
	{ "{{.Tag}} \\n {{- .Repository}}", "latestalpine" },
	{ "{{if\n.True}}y{{end}}", "y" },
	/* json */
	{ "{{json .Config.Cmd}}", "[\"/bin/sh\",\"-c\",\"echo hi\"]" },
	{ "{{.Config.Cmd | json}}", "[\"/bin/sh\",\"-c\",\"echo hi\"]" },
	{ "{{json .HTML}}", "\"<a&b>/c\"" }, /* docker: SetEscapeHTML(false) */
	{ "{{json .Quote}}", "\"say \\\"hi\\\"\\n\"" },
	{ "{{json .Missing}} {{json .Null}}", "null null" },
	{ "{{json .Config.Labels}}", "{\"b\":\"2\",\"a\":\"1\",\"com.x\":\"y\"}" },
	{ "{{json .Big}} {{json .Ratio}} {{json .Tiny}} {{json 1e-7}} {{json 1e21}}",
	  "1000000 1.5 0.00001 1e-7 1e+21" },
	{ "{{json .Mixed}} {{json .EmptyObj}}", "[\"a\",1,null,true] {}" },
	{ "{{json \"\\u2028\\x01\\b\"}}", "\"\\u2028\\u0001\\b\"" },
	/* index */
	{ "{{index .Config.Labels \"com.x\"}}", "y" },
	{ "{{index .Config.Cmd 1}}", "-c" },
	{ "{{index .Nested \"List\" 1 \"Name\"}}", "y" },
	{ "{{index .Config.Labels \"nope\"}}", "<no value>" },
	{ "{{(index .Nested.List 0).Name}}", "x" },
	/* string functions */
	{ "{{join .Config.Cmd \" \"}}", "/bin/sh -c echo hi" },
	{ "{{join .Config.Env \",\"}}|{{join .Missing \",\"}}", "PATH=/usr/bin,A=b|" },
	{ "{{upper .Tag}} {{lower \"ABC\"}} {{title .Str}}", "LATEST abc Hello World-Foo_bar" },
	{ "{{split \"a:b:c\" \":\"}} {{split \"ab\" \"\"}} {{len (split \"\" \",\")}}",
	  "[a b c] [a b] 1" },
	{ "{{len .Config.Cmd}} {{len .Tag}} {{len .Config.Labels}} {{len .Uni}}", "3 6 3 6" },
	{ "{{truncate .ID 12}} {{truncate .Tag 20}} {{truncate .Uni 2}}", "sha256:c059b latest h" },
	{ "[{{pad .Tag 1 2}}][{{pad \"\" 1 2}}]", "[ latest  ][]" },
	/* print, println, printf */
	{ "{{println .Tag .Size}}", "latest 5590000\n" },
	{ "{{println}}", "\n" },
	{ "{{print \"a\" 1 2 \"b\" .Missing}}", "a1 2b<nil>" },
	{ "{{printf \"%s-%d\" .Tag .Size}}", "latest-5590000" },
	{ "{{printf \"%v|%q\" .Ratio .Quote}}", "1.5|\"say \\\"hi\\\"\\n\"" },
	{ "{{printf \"%q\" \"\\u00e9\\x01\\u00a0\"}}", "\"\xc3\xa9\\x01\\u00a0\"" },
	{ "{{printf \"%5s|%-5s|%%|%.2s\" \"ab\" \"cd\" .Uni}}", "   ab|cd   |%|h\xc3\xa9" },
	{ "{{printf \"%05d|%+d|%-4d|%x\" -42 7 3 1}}", "-0042|+7|3   |%!x(int=1)" },
	{ "{{printf \"%.2f|%e|%g|%6.1f\" .Ratio .Big .Tiny .Ratio}}",
	  "1.50|1.000000e+06|1e-05|   1.5" },
	{ "{{printf \"%d\" .Tag}}", "%!d(string=latest)" },
	{ "{{printf \"%s %s\" .Tag}}", "latest %!s(MISSING)" },
	{ "{{printf \"%s\" .Tag 1 .Missing}}", "latest%!(EXTRA int=1, <nil>)" },
	{ "{{printf \"%s|%v\" .Missing .Null}}", "%!s(<nil>)|<nil>" },
	{ "{{printf \"%v %t %s\" .Config.Cmd .True .Config.Labels}}",
	  "[/bin/sh -c echo hi] true map[a:1 b:2 com.x:y]" },
	/* pipelines */
	{ "{{.Tag | printf \"%s!\"}}", "latest!" },
	{ "{{.Tag | upper | printf \"[%s]\"}}", "[LATEST]" },
	{ "{{.Missing | printf \"%v\"}}", "<nil>" },
	/* if / else if / with */
	{ "{{if .True}}yes{{else}}no{{end}}", "yes" },
	{ "{{if .Missing}}yes{{else}}no{{end}}", "no" },
	{ "{{if .Empty}}a{{else if .Zero}}b{{else if .Config.User}}c{{else}}d{{end}}", "d" },
	{ "{{if .Config.User}}u{{else if .Tag}}t{{end}}", "t" },
	{ "{{if .EmptyObj}}a{{end}}{{if .Null}}b{{end}}{{if .Ratio}}c{{end}}{{if .Mixed}}d{{end}}",
	  "cd" },
	{ "{{with .Config}}{{.User}}|{{len .Cmd}}{{end}}", "|3" },
	{ "{{with .Missing}}x{{else}}none{{end}}", "none" },
	{ "{{with $c := .Config}}{{$c.User}}{{index $c.Cmd 0}}{{end}}", "/bin/sh" },
	{ "{{with .Missing}}a{{else with .Tag}}{{.}}{{end}}", "latest" },
	/* range */
	{ "{{range .Config.Env}}{{.}};{{end}}", "PATH=/usr/bin;A=b;" },
	{ "{{range $i, $v := .Config.Cmd}}{{$i}}={{$v}} {{end}}", "0=/bin/sh 1=-c 2=echo hi " },
	{ "{{range $v := .Config.Labels}}{{$v}}{{end}}", "12y" },
	{ "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}", "a=1,b=2,com.x=y," },
	{ "{{range .Empty}}x{{else}}empty{{end}}{{range .Missing}}x{{else}}none{{end}}",
	  "emptynone" },
	{ "{{range .Nested.List}}{{.Name}}{{end}}", "xy" },
	{ "{{range .Config.Cmd}}{{$.Tag}}.{{end}}", "latest.latest.latest." },
	{ "{{range .Config.Cmd}}{{if eq . \"-c\"}}{{continue}}{{end}}{{.}},{{end}}",
	  "/bin/sh,echo hi," },
	{ "{{range .Config.Cmd}}{{if eq . \"-c\"}}{{break}}{{end}}{{.}}{{end}}", "/bin/sh" },
	{ "{{range .Mixed}}[{{.}}]{{end}}", "[a][1][<no value>][true]" },
	{ "{{$n := 0}}{{range .Config.Cmd}}{{$n = .}}{{end}}{{$n}}", "echo hi" },
	/* comparisons and logic */
	{ "{{if eq .Tag \"latest\"}}y{{end}}{{if ne .Size 1}}n{{end}}{{not .True}}", "ynfalse" },
	{ "{{or .Zero .Tag}} {{and .Tag .Zero}} {{and .Tag .True}}", "latest 0 true" },
	{ "{{eq .Tag \"x\" \"latest\"}} {{lt 1 2}} {{ge .Ratio 2}} {{lt \"a\" \"b\"}}",
	  "true true false true" },
	{ "{{eq .Missing .Null}} {{eq .Whole 3}}", "true true" },
	/* errors at parse time */
	{ "{{.Tag", NULL, "template: :1:0: unclosed action" },
	{ "{{.Tag}", NULL, "template: :1:6: bad character U+007D '}'" },
	{ "{{foo .Tag}}", NULL, "template: :1:2: function \"foo\" not defined" },
	{ "line1\n  {{foo}}", NULL, "template: :2:4: function \"foo\" not defined" },
	{ "{{if .True}}x", NULL, "template: :1:13: unexpected EOF" },
	{ "{{end}}", NULL, "template: :1:2: unexpected {{end}}" },
	{ "{{else}}", NULL, "template: :1:2: unexpected {{else}}" },
	{ "{{if .X}}a{{else}}b{{else}}c{{end}}", NULL,
	  "template: :1:21: expected end; found {{else}}" },
	{ "{{$y}}", NULL, "template: :1:2: undefined variable \"$y\"" },
	{ "{{\"abc}}", NULL, "template: :1:2: unterminated quoted string" },
	{ "{{\"a\\qb\"}}", NULL, "template: :1:2: invalid escape in string \"a\\qb\"" },
	{ "{{.X | }}", NULL, "template: :1:7: missing value for command" },
	{ "{{}}", NULL, "template: :1:2: missing value for command" },
	{ "{{if}}{{end}}", NULL, "template: :1:4: missing value for if" },
	{ "{{break}}", NULL, "template: :1:2: {{break}} outside {{range}}" },
	{ "{{12abc}}", NULL, "template: :1:2: bad number syntax: \"12abc\"" },
	{ "{{/* x }}", NULL, "template: :1:0: unclosed comment" },
	{ "{{.Tag | 1}}", NULL, "template: :1:9: non executable command in pipeline stage 2" },
	{ "{{.A.B\"x\"}}", NULL, "template: :1:6: bad character U+0022 '\"'" },
	{ "{{(.Tag}}", NULL, "template: :1:7: unclosed left paren" },
	{ "{{% }}", NULL, "template: :1:2: unrecognized character in action: U+0025 '%'" },
	{ "{{\"a\".X}}", NULL, "template: :1:5: unexpected . after term \"\"a\"\"" },
	{ "{{$x, $y := .A}}", NULL, "template: :1:4: too many declarations in command" },
	/* errors while executing */
	{ "{{index .Tag 1}}", NULL,
	  "template: :1:2: executing \"\" at <index .Tag 1>: error calling index: "
	  "can't index item of type string" },
	{ "{{index .Config.Cmd 5}}", NULL,
	  "template: :1:2: executing \"\" at <index .Config.Cmd 5>: error calling index: "
	  "index out of range: 5" },
	{ "{{index .Config.Labels 0}}", NULL,
	  "template: :1:2: executing \"\" at <index .Config.Labels...>: error calling index: "
	  "value has type int; should be string" },
	{ "{{.Tag.X}}", NULL,
	  "template: :1:2: executing \"\" at <.Tag.X>: can't evaluate field X in type string" },
	{ "x\n{{.Null.X}}", NULL,
	  "template: :2:2: executing \"\" at <.Null.X>: nil pointer evaluating interface {}.X" },
	{ "{{upper 1}}", NULL,
	  "template: :1:2: executing \"\" at <upper 1>: wrong type for value; expected string; "
	  "got int" },
	{ "{{upper .Missing}}", NULL,
	  "template: :1:2: executing \"\" at <upper .Missing>: invalid value; expected string" },
	{ "{{upper}}", NULL,
	  "template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 "
	  "got 0" },
	{ "{{.Tag | json 1}}", NULL,
	  "template: :1:9: executing \"\" at <json 1>: wrong number of args for json: want 1 "
	  "got 2" },
	{ "{{range .Tag}}{{end}}", NULL,
	  "template: :1:8: executing \"\" at <.Tag>: range can't iterate over latest" },
	{ "{{len .Null}}", NULL,
	  "template: :1:2: executing \"\" at <len .Null>: error calling len: len of nil pointer" },
	{ "{{1 2}}", NULL,
	  "template: :1:2: executing \"\" at <1 2>: can't give argument to non-function 1" },
	{ "{{nil}}", NULL, "template: :1:2: executing \"\" at <nil>: nil is not a command" },
	{ "{{eq .Tag 1}}", NULL,
	  "template: :1:2: executing \"\" at <eq .Tag 1>: error calling eq: incompatible types "
	  "for comparison" },
	{ "{{truncate .Tag .Ratio}}", NULL,
	  "template: :1:2: executing \"\" at <truncate .Tag .Ratio>: wrong type for value; "
	  "expected int; got float64" },
};

static void test_cases(json_object *data)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct exec_case *c = &cases[i];
		struct berth_err err = { 0 };
		struct tmpl *t = NULL;
		char *out = NULL;
		int r = tmpl_parse(c->tmpl, &t, &err);

		if (r == 0)
			r = tmpl_exec(t, data, &out, &err);
		if (c->want != NULL) {
			CHECK(r == 0 && out != NULL && strcmp(out, c->want) == 0,
			      "%s: got \"%s\" (%s), want \"%s\"", c->tmpl, out ? out : "(null)",
			      r == 0 ? "ok" : err.msg, c->want);
		} else {
			CHECK(r == -1 && strcmp(err.msg, c->err) == 0,
			      "%s: error \"%s\", want \"%s\"", c->tmpl,
			      r == -1 ? err.msg : "(none)", c->err);
		}
		free(out);
		tmpl_free(t);
	}
}

static void test_exec_api(json_object *data)
{
	struct berth_err err;
	struct tmpl *t = NULL;
	char *out = strdup("x=");

	CHECK(tmpl_parse("{{.Tag}}", &t, &err) == 0, "parse");
	CHECK(!tmpl_is_table(t), "not a table");
	CHECK(tmpl_exec(t, data, &out, &err) == 0, "exec appends");
	CHECK_STR(out, "x=latest", "appended to the caller's string");
	CHECK(tmpl_exec(t, NULL, &out, &err) == 0, "exec on no data");
	CHECK_STR(out, "x=latest<no value>", "no data is no value");
	free(out);
	tmpl_free(t);

	out = NULL;
	CHECK(tmpl_parse("", &t, &err) == 0 && tmpl_exec(t, data, &out, &err) == 0, "empty");
	CHECK_STR(out, "", "empty template prints nothing");
	free(out);
	tmpl_free(t);
	tmpl_free(NULL);
}

/* Runs a table template over rows and returns what flush printed. */
static char *table_output(const char *format, const char *const *rows, size_t n,
			  const char *headers_text)
{
	struct berth_err err;
	struct tmpl *t = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_object *headers = headers_text ? json_tokener_parse(headers_text) : NULL;

	if (tmpl_parse(format, &t, &err) < 0) {
		fclose(f);
		free(buf);
		json_object_put(headers);
		return strdup(err.msg);
	}
	CHECK(tmpl_is_table(t), "%s is a table", format);
	for (size_t i = 0; i < n; i++) {
		json_object *row = json_tokener_parse(rows[i]);
		CHECK(tmpl_table_row(t, row, &err) == 0, "row %zu", i);
		json_object_put(row);
	}
	tmpl_table_flush(t, headers, f);
	fclose(f);
	tmpl_free(t);
	json_object_put(headers);
	return buf;
}

static void test_table(void)
{
	static const char *const images[] = {
		"{\"Repository\":\"alpine\",\"Tag\":\"latest\",\"ID\":\"c059bfaa849c\","
		"\"CreatedSince\":\"2 weeks ago\",\"Size\":\"5.59MB\"}",
		"{\"Repository\":\"registry.example.com/team/app\",\"Tag\":\"v1.2.3\","
		"\"ID\":\"0123456789ab\",\"CreatedSince\":\"3 days ago\",\"Size\":\"120MB\"}",
	};
	static const char *const headers =
	    "{\"ID\":\"IMAGE ID\",\"CreatedSince\":\"CREATED\",\"Repository\":\"REPOSITORY\"}";
	char *out;

	/* docker images' own layout: minwidth 10, padding 3; TAG is 10 wide
	 * because "latest" + 3 < 10 */
	out = table_output("table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t"
			   "{{.Size}}",
			   images, 1, headers);
	CHECK_STR(out,
		  "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n"
		  "alpine       latest    c059bfaa849c   2 weeks ago   5.59MB\n",
		  "docker images table");
	free(out);

	/* a long repository widens its column: 29 + 3 = 32 */
	out = table_output("table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}", images, 2,
			   headers);
	CHECK_STR(out,
		  "REPOSITORY                      TAG       IMAGE ID       SIZE\n"
		  "alpine                          latest    c059bfaa849c   5.59MB\n"
		  "registry.example.com/team/app   v1.2.3    0123456789ab   120MB\n",
		  "two rows");
	free(out);

	/* no headers map: upper-cased field names; functions keep the title
	 * (docker's HeaderFunctions); spaces around the row are trimmed */
	out = table_output("table   {{.Tag | upper}}\\t{{json .ID}}\\t{{truncate .ID 4}}  ", images,
			   1, NULL);
	CHECK_STR(out,
		  "TAG       ID               ID\n"
		  "LATEST    \"c059bfaa849c\"   c059\n",
		  "header functions are identities");
	free(out);

	/* no rows: the header alone */
	out = table_output("table {{.ID}}\\t{{.Size}}", images, 0, headers);
	CHECK_STR(out, "IMAGE ID   SIZE\n", "header only");
	free(out);

	/* "table" alone is a table with an empty row template */
	out = table_output("table", images, 1, NULL);
	CHECK_STR(out, "\n\n", "bare table");
	free(out);

	/* a row with a parse error reports it */
	out = table_output("table {{.ID", images, 0, NULL);
	CHECK_STR(out, "template: :1:0: unclosed action", "table parse error");
	free(out);

	struct berth_err err;
	struct tmpl *t = NULL;
	CHECK(tmpl_parse("tablex {{.ID}}", &t, &err) == 0 && !tmpl_is_table(t),
	      "\"tablex\" is not table mode");
	tmpl_free(t);
}

/* tmpl_tabwrite takes char *const * (what a caller that split a buffer
 * holds); these literals are only read. */
static char *tabwrite(const char *const *lines, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tmpl_tabwrite(f, (char *const *)lines, n);
	fclose(f);
	return buf;
}

static void test_tabwrite(void)
{
	char *out;

	/* Go's doc example: the b column stops at the line without it, so c
	 * starts a new block sized on its own */
	const char *const blocks[] = { "aaaa\tbbb\td", "aa\tb\tdd", "a\t", "aa\tcccc\teee" };
	out = tabwrite(blocks, 4);
	CHECK_STR(out,
		  "aaaa      bbb       d\n"
		  "aa        b         dd\n"
		  "a         \n"
		  "aa        cccc      eee\n",
		  "column blocks");
	free(out);

	/* a line with no tab ends every block; widths count code points */
	const char *const split[] = { "h\xc3\xa9llo-world\tx", "plain", "ab\tcd\tef",
				      "abcdefghijklm\tz\t" };
	out = tabwrite(split, 4);
	CHECK_STR(out,
		  "h\xc3\xa9llo-world   x\n"
		  "plain\n"
		  "ab              cd        ef\n"
		  "abcdefghijklm   z         \n",
		  "blocks split by a plain line, UTF-8 widths");
	free(out);

	/* empty cells are padded like any other */
	const char *const empty[] = { "\t\tx", "long-cell-here\t\ty" };
	out = tabwrite(empty, 2);
	CHECK_STR(out,
		  "                           x\n"
		  "long-cell-here             y\n",
		  "empty cells");
	free(out);

	out = tabwrite(NULL, 0);
	CHECK(out != NULL && out[0] == '\0', "no lines print nothing");
	free(out);
}

int main(void)
{
	json_object *data = json_tokener_parse(data_text);

	CHECK(data != NULL, "fixture parses");
	test_cases(data);
	test_exec_api(data);
	test_table();
	test_tabwrite();
	json_object_put(data);
	return TEST_DONE();
}
