/* Who counts as active: enabled, not expired at the injected clock, and a
 * member of entitled_group by either side of the membership. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "directory/directory.h"

#define NOW 1700000000LL

static void test_active(void **state)
{
	(void)state;
	const char *text = "{\"users\":["
			   "{\"name\":\"direct\",\"groups\":[\"Entitled\"]},"
			   "{\"name\":\"listed\"},"
			   "{\"name\":\"off\",\"enabled\":false,\"groups\":[\"entitled\"]},"
			   "{\"name\":\"old\",\"expires\":1700000000,\"groups\":[\"entitled\"]},"
			   "{\"name\":\"later\",\"expires\":1700000001,\"groups\":[\"entitled\"]},"
			   "{\"name\":\"outsider\",\"groups\":[\"other\"]}],"
			   "\"groups\":[{\"name\":\"entitled\",\"members\":[\"listed\"]}]}";
	struct directory d;
	struct sosafe_err err;
	assert_int_equal(directory_parse(text, strlen(text), &d, &err), 0);
	static const struct {
		const char *why;   /* NULL: active */
	} want[] = {
		{ NULL }, { NULL }, { "disabled in the directory" },
		{ "account expired in the directory" }, { NULL },
		{ "not a member of the entitled group" },
	};
	assert_int_equal(d.nusers, 6);
	for (size_t i = 0; i < d.nusers; i++) {
		const char *why = NULL;
		bool active = directory_user_active(&d, &d.users[i], "ENTITLED", NOW, &why);
		if (!want[i].why) {
			if (!active)
				fail_msg("%s: inactive (%s)", d.users[i].name, why);
		} else {
			assert_false(active);
			assert_string_equal(why, want[i].why);
		}
	}
	const char *why = NULL;
	assert_false(directory_user_active(&d, &d.users[0], "", NOW, &why));
	assert_string_equal(why, "no entitled_group configured");
	directory_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active),
	};
	return cmocka_run_group_tests_name("directory activity", tests, NULL, NULL);
}
