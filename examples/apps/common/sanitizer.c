/* SPDX-License-Identifier: MIT */
/*
 * Sanitizer builds (make test): AddressSanitizer and UBSan stay on in the apps, but
 * LeakSanitizer's check at exit is off. Its helper thread reads /proc/<pid>/task, and an app's
 * Landlock ruleset grants /proc/self only: the check would fail and turn every exit into
 * status 1. Linked into each app as an object of its own (a static library member nobody
 * references would be left out), visible to the sanitizer runtime (a shared library).
 */
#if defined(__SANITIZE_ADDRESS__)
__attribute__((visibility("default"))) const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif
