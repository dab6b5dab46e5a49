// `node --import ./register-vendor.mjs`: installs vendor-hooks.mjs before the tests load.
import { register } from 'node:module';

register('./vendor-hooks.mjs', import.meta.url);
