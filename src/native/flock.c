/*
 * tsrun-flock.node: flock(2) for src/state/lock.ts, and nothing else.
 *
 * Node has no flock, and koffi (the libc bridge) costs every command that
 * loads it ~13 ms; this Node-API addon loads in well under a millisecond
 * (docs/bench.md, "The lock"). It decides nothing: the path, the retries and
 * the release are the TypeScript side's.
 *
 *   flock(fd, operation) -> 0, or -errno (-EWOULDBLOCK: another holds it)
 */
#include <errno.h>
#include <node_api.h>
#include <sys/file.h>

static napi_value js_flock(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2], out;
	int32_t fd = -1, operation = 0, ret;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
	    napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
	    napi_get_value_int32(env, argv[1], &operation) != napi_ok) {
		napi_throw_type_error(env, NULL, "flock(fd, operation): two integers");
		return NULL;
	}
	ret = flock(fd, operation) < 0 ? -errno : 0;
	napi_create_int32(env, ret, &out);
	return out;
}

NAPI_MODULE_INIT()
{
	napi_value fn;
	napi_create_function(env, "flock", NAPI_AUTO_LENGTH, js_flock, NULL, &fn);
	napi_set_named_property(env, exports, "flock", fn);
	return exports;
}
