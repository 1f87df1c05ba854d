// The tests' browser is the one the CLI uses.
export { CHROMIUM, launchBrowser } from '../../infra/browser';
