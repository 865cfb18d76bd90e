/** `tidepool/system`: what this machine offers the sandboxes, with the fix for each missing piece. */
export { runChecks, type CheckResult } from './checks.js';
