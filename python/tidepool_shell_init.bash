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
    # Every variable name by its first character, keeping the exported ones: no command
    # substitution, so the state is saved even when the session's process limit refuses a fork.
    for __tidepool_name in ${!a*} ${!b*} ${!c*} ${!d*} ${!e*} ${!f*} ${!g*} ${!h*} ${!i*} ${!j*} ${!k*} ${!l*} ${!m*} ${!n*} ${!o*} ${!p*} ${!q*} ${!r*} ${!s*} ${!t*} ${!u*} ${!v*} ${!w*} ${!x*} ${!y*} ${!z*} ${!A*} ${!B*} ${!C*} ${!D*} ${!E*} ${!F*} ${!G*} ${!H*} ${!I*} ${!J*} ${!K*} ${!L*} ${!M*} ${!N*} ${!O*} ${!P*} ${!Q*} ${!R*} ${!S*} ${!T*} ${!U*} ${!V*} ${!W*} ${!X*} ${!Y*} ${!Z*} ${!_*}; do
      [[ ${!__tidepool_name@a} == *x* ]] && printf '%s=%s\0' "$__tidepool_name" "${!__tidepool_name}"
    done
    printf '\0'
  } >&"$__tidepool_state_fd" 2>/dev/null
}
trap __tidepool_save_state EXIT
