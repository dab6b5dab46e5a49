// Module resolution hooks for running the web app's modules under node: the vendored files the API
// serves at /vendor/ resolve to the installed packages (as nnc/api/app.py's VENDOR maps them).
const VENDOR = {
  '/vendor/ethers.js': new URL('../../node_modules/ethers/dist/ethers.min.js', import.meta.url).href,
};

export async function resolve(specifier, context, nextResolve) {
  if (Object.hasOwn(VENDOR, specifier)) return { url: VENDOR[specifier], format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
}
