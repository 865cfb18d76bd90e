/** Exit status of a shell command stopped at its timeout, as timeout(1) reports it (kept apart from the driver so readers load no zod). */
export const SHELL_TIMEOUT_EXIT_CODE = 124;
