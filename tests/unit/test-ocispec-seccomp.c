/* ocispec: a seccomp profile in docker's format (archMap, includes and
 * excludes by caps, kernel and arch, name or names) converted to the OCI
 * linux.seccomp of one container, checked against a small profile written
 * here and, when installed, the real containers-common profile; every
 * document is also handed to the runtime's own parser. Fixtures in
 * ocispec-fixtures.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ocispec.h"
#include "ocispec-fixtures.h"
#include "runtime/spec.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Every GOARCH this file knows, so the arch filters give the same answer
 * on any machine. */
#define ALL_ARCHES                                                                                 \
	"[\"amd64\",\"arm64\",\"386\",\"arm\",\"ppc64le\",\"s390x\",\"riscv64\",\"loong64\"]"

static const char *const small_profile =
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"defaultErrno\":\"ENOSYS\","
    " \"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
    "               \"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]},"
    "              "
    "{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":[\"SCMP_ARCH_ARM\"]}],"
    " \"syscalls\":["
    "  {\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[],"
    "   \"comment\":\"\",\"includes\":{},\"excludes\":{}},"
    "  {\"names\":[\"chroot\"],\"action\":\"SCMP_ACT_ALLOW\","
    "   \"includes\":{\"caps\":[\"CAP_SYS_CHROOT\"]}},"
    "  {\"names\":[\"chroot\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"errno\":\"EPERM\","
    "   \"excludes\":{\"caps\":[\"CAP_SYS_CHROOT\"]}},"
    "  {\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_ALLOW\","
    "   \"includes\":{\"caps\":[\"CAP_SYS_BOOT\",\"CAP_KILL\"]}},"
    "  {\"names\":[\"acct\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
    "   \"excludes\":{\"caps\":[\"CAP_SYS_PACCT\"]}},"
    "  {\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
    "   \"args\":[{\"index\":0,\"value\":8,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
    "  "
    "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"999.0\"}},"
    "  "
    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"3.10\"}},"
    "  "
    "{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"minKernel\":\"3.10\"}},"
    "  {\"names\":[\"uname\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":" ALL_ARCHES
    "}},"
    "  {\"name\":\"gettid\",\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"arches\":" ALL_ARCHES
    "}},"
    "  {\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":5},"
    "  {\"name\":\"tgkill\",\"action\":\"SCMP_ACT_ALLOW\",\"args\":null}"
    " ]}";

/* The rules as "names action [errnoRet] [nargs]" joined by ";". */
static char *rules_summary(json_object *doc)
{
	json_object *calls = at(doc, "linux.seccomp.syscalls");
	char *s = xstrdup("");

	for (size_t i = 0; calls != NULL && i < json_object_array_length(calls); i++) {
		json_object *c = json_object_array_get_idx(calls, i);
		autofree char *names = join_at(c, "names");
		json_object *args = at(c, "args");
		autofree char *nargs = args != NULL
					   ? xasprintf(" args=%zu", json_object_array_length(args))
					   : xstrdup("");
		char *n = xasprintf("%s%s%s %s%s%s%s", s, i > 0 ? ";" : "", names,
				    str_at(c, "action"), at(c, "errnoRet") ? " " : "",
				    at(c, "errnoRet") ? str_at(c, "errnoRet") : "", nargs);
		free(s);
		s = n;
		CHECK(json_object_object_length(c) <= 4 && at(c, "includes") == NULL &&
			  at(c, "excludes") == NULL && at(c, "comment") == NULL,
		      "seccomp: rule %zu has only names, action, errnoRet, args", i);
	}
	return s;
}

static void test_seccomp(void)
{
	autofree char *profile = xasprintf("%s/profile.json", tmpdir);
	autofree char *bad_profile = xasprintf("%s/bad-profile.json", tmpdir);
	char **drop_chroot = STRV("SYS_CHROOT");
	char **add_boot = STRV("SYS_BOOT", "SYS_PACCT");
	struct ocispec_opts o = base_opts();
	autojson json_object *doc = NULL;
	struct berth_err err = { 0 };
	struct spec *s = NULL;

	write_file(tmpdir, "profile.json", small_profile);
	o.seccomp_profile = profile;
	doc = build_ok(&o, image_sh, "seccomp: small profile, default caps");
	{
		autofree char *got = rules_summary(doc);
		CHECK_STR(got,
			  "read,write SCMP_ACT_ALLOW;chroot SCMP_ACT_ALLOW;acct SCMP_ACT_ERRNO 13;"
			  "personality SCMP_ACT_ALLOW args=1;getppid SCMP_ACT_ALLOW;"
			  "uname SCMP_ACT_ALLOW;kill SCMP_ACT_ALLOW;tgkill SCMP_ACT_ALLOW",
			  "seccomp: rules filtered by caps, kernel and arch");
	}
	CHECK_STR(str_at(doc, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO",
		  "seccomp: defaultAction");
	CHECK_STR(str_at(doc, "linux.seccomp.defaultErrnoRet"), "38", "seccomp: defaultErrnoRet");
	CHECK(at(doc, "linux.seccomp.defaultErrno") == NULL &&
		  at(doc, "linux.seccomp.archMap") == NULL,
	      "seccomp: profile-only keys are not copied");
	{
		autofree char *archs = join_at(doc, "linux.seccomp.architectures");
#if defined(__x86_64__)
		CHECK_STR(archs, "SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32",
			  "seccomp: archMap of x86_64");
#elif defined(__aarch64__)
		CHECK_STR(archs, "SCMP_ARCH_AARCH64,SCMP_ARCH_ARM", "seccomp: archMap of aarch64");
#else
		CHECK(1, "seccomp: archMap (%s)", archs);
#endif
	}
	{
		json_object *calls = at(doc, "linux.seccomp.syscalls");
		json_object *pers = calls ? json_object_array_get_idx(calls, 3) : NULL;
		CHECK_STR(str_at(pers, "args"),
			  "[ { \"index\": 0, \"value\": 8, \"valueTwo\": 0, "
			  "\"op\": \"SCMP_CMP_EQ\" } ]",
			  "seccomp: args copied as they are");
	}
	if (spec_parse(doc, tmpdir, &s, &err) == 0) {
		CHECK(s->seccomp != NULL, "seccomp: the runtime parses the converted profile");
		spec_free(s);
	}
	json_object_put(doc);

	o.cap_drop = drop_chroot;
	o.cap_add = add_boot;
	doc = build_ok(&o, image_sh, "seccomp: small profile, caps changed");
	{
		autofree char *got = rules_summary(doc);
		CHECK_STR(got,
			  "read,write SCMP_ACT_ALLOW;chroot SCMP_ACT_ERRNO 1;reboot SCMP_ACT_ALLOW;"
			  "personality SCMP_ACT_ALLOW args=1;getppid SCMP_ACT_ALLOW;"
			  "uname SCMP_ACT_ALLOW;kill SCMP_ACT_ALLOW;tgkill SCMP_ACT_ALLOW",
			  "seccomp: rules follow --cap-drop/--cap-add");
	}
	json_object_put(doc);
	doc = NULL;

	o = base_opts();
	o.seccomp_profile = bad_profile;
	check_build_error(&o, image_sh, bad_profile, "seccomp: missing profile file");
	write_file(tmpdir, "bad-profile.json", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",");
	check_build_error(&o, image_sh, "invalid JSON", "seccomp: profile not JSON");
	write_file(tmpdir, "bad-profile.json",
		   "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"a\","
		   "\"names\":[\"b\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	check_build_error(&o, image_sh, "syscalls[0]: both name and names",
			  "seccomp: name and names");
	write_file(tmpdir, "bad-profile.json",
		   "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"b\"],"
		   "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"new\"}}]}");
	check_build_error(&o, image_sh, "syscalls[0].includes.minKernel: invalid kernel version",
			  "seccomp: bad minKernel");
	write_file(tmpdir, "bad-profile.json",
		   "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
		   "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}");
	check_build_error(&o, image_sh, "both architectures and archMap",
			  "seccomp: both arch keys");
	write_file(tmpdir, "bad-profile.json", "{\"syscalls\":[]}");
	check_build_error(&o, image_sh, "defaultAction: required", "seccomp: no defaultAction");
	write_file(tmpdir, "bad-profile.json",
		   "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"b\"]}]}");
	check_build_error(&o, image_sh, "syscalls[0].action: required",
			  "seccomp: rule without action");

	if (access(REAL_PROFILE, R_OK) != 0) {
		printf("# skip: %s not installed (golang-github-containers-common)\n",
		       REAL_PROFILE);
		return;
	}
	o.seccomp_profile = REAL_PROFILE;
	doc = build_ok(&o, image_sh, "seccomp: " REAL_PROFILE);
	{
		json_object *calls = at(doc, "linux.seccomp.syscalls");
		const char *handle_action = NULL;
		for (size_t i = 0; calls != NULL && i < json_object_array_length(calls); i++) {
			json_object *c = json_object_array_get_idx(calls, i);
			autofree char *names = join_at(c, "names");
			if (strcmp(names, "open_by_handle_at") == 0)
				handle_action = str_at(c, "action");
		}
		CHECK(calls != NULL && json_object_array_length(calls) > 10,
		      "seccomp: the real profile converts to many rules");
		CHECK_STR(handle_action, "SCMP_ACT_ERRNO",
			  "seccomp: open_by_handle_at refused without CAP_DAC_READ_SEARCH");
	}
	if (spec_parse(doc, tmpdir, &s, &err) == 0) {
		CHECK(s->seccomp != NULL, "seccomp: the runtime loads the real profile's rules");
		spec_free(s);
	}
}

int main(void)
{
	fixtures_begin();
	test_seccomp();
	return TEST_DONE();
}
