/** The runtime-spec version this runtime implements; `state` reports it (runc reports its own, not the config's). */
export const SPEC_VERSION = '1.3.0';
