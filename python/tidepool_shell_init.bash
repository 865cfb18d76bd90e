# Sourced by bash (through BASH_ENV, from a pipe) before each command of a Shell session, in the same shell.
# At exit it writes the shell's final working directory and exported variables to a descriptor
# the kernel reads, so the next command starts where this one ended. The kernel never learns the
# state from stdout, which the command controls. Format: the directory, then NAME=value for each
# exported variable, each followed by a NUL byte, then one more NUL to mark the end.
__tidepool_state_fd=$TIDEPOOL_SHELL_STATE_FD
# This script arrives on a pipe (BASH_ENV=/dev/fd/N) that bash has read to its end: close it.
__tidepool_init_fd=$TIDEPOOL_SHELL_INIT_FD
exec {__tidepool_init_fd}<&-
unset BASH_ENV TIDEPOOL_SHELL_STATE_FD TIDEPOOL_SHELL_INIT_FD __tidepool_init_fd
__tidepool_save_state() {
  local __tidepool_name
  {
    printf '%s\0' "$PWD"
    for __tidepool_name in $(compgen -e); do
      printf '%s=%s\0' "$__tidepool_name" "${!__tidepool_name}"
    done
    printf '\0'
  } >&"$__tidepool_state_fd" 2>/dev/null
}
trap __tidepool_save_state EXIT
