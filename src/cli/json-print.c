#include "cli/json-print.h"

static const int scalar_flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

static void json_print_newline(FILE *f, const char *indent, int depth)
{
	fputc('\n', f);
	for (int i = 0; i < depth; i++)
		fputs(indent, f);
}

static void json_print_value(FILE *f, json_object *o, const char *indent, int depth)
{
	json_type t = json_object_get_type(o);
	size_t i = 0;

	if (t == json_type_object && json_object_object_length(o) > 0) {
		fputc('{', f);
		json_object_object_foreach(o, key, val)
		{
			json_object *k = json_object_new_string(key);

			if (i++ > 0)
				fputc(',', f);
			json_print_newline(f, indent, depth + 1);
			fprintf(f, "%s: ", json_object_to_json_string_ext(k, scalar_flags));
			json_object_put(k);
			json_print_value(f, val, indent, depth + 1);
		}
		json_print_newline(f, indent, depth);
		fputc('}', f);
	} else if (t == json_type_array && json_object_array_length(o) > 0) {
		fputc('[', f);
		for (i = 0; i < json_object_array_length(o); i++) {
			if (i > 0)
				fputc(',', f);
			json_print_newline(f, indent, depth + 1);
			json_print_value(f, json_object_array_get_idx(o, i), indent, depth + 1);
		}
		json_print_newline(f, indent, depth);
		fputc(']', f);
	} else {
		fputs(json_object_to_json_string_ext(o, scalar_flags), f);
	}
}

void cli_json_print(FILE *f, json_object *o, const char *indent)
{
	if (indent == NULL)
		fputs(json_object_to_json_string_ext(o, scalar_flags), f);
	else
		json_print_value(f, o, indent, 0);
	fputc('\n', f);
}
