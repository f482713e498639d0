#!/usr/bin/env bash
# A deliberately broken testee, used by tests/broken_testee.rs to prove the harness survives
# bad testees. It forwards every request to the reference testee (`$1 serve-testee`) and relays
# the answer, except for the cases named in the environment:
#   CRASH_ID     exit(3) instead of answering              -> verdict crash
#   HANG_ID      never answer                              -> verdict timeout
#   GARBAGE_ID   print a line that is not JSON             -> verdict fail (protocol violation)
#   MISMATCH_ID  answer with another request's id          -> verdict fail (protocol violation)
#   HUGE_ID      print a 2 MiB line (over the test's cap)  -> verdict fail (protocol violation)
#   CLOSE_ID     close stdout and keep running             -> verdict crash
# SLOW=1 makes it pause before each answer, so pipelined requests pile up unread.
set -u
coproc REF { "$1" serve-testee; }
while IFS= read -r line; do
  if [ -n "${SLOW:-}" ]; then sleep 0.05; fi
  case "$line" in
    *"\"id\":\"${CRASH_ID:-}\""*) exit 3 ;;
    *"\"id\":\"${HANG_ID:-}\""*) sleep 600 ;;
    *"\"id\":\"${GARBAGE_ID:-}\""*) echo 'garbage, not JSON {'; continue ;;
    *"\"id\":\"${MISMATCH_ID:-}\""*) echo '{"id":"someone-else","ok":{}}'; continue ;;
    *"\"id\":\"${HUGE_ID:-}\""*) head -c 2097152 /dev/zero | tr '\0' 'x'; echo; continue ;;
    *"\"id\":\"${CLOSE_ID:-}\""*) exec 1>&-; sleep 600 ;;
  esac
  printf '%s\n' "$line" >&"${REF[1]}"
  IFS= read -r reply <&"${REF[0]}" || exit 4
  printf '%s\n' "$reply"
done
