"""Labelling rules of the generalization suite (``logkit bench parse --wild``): one per log file.

Each rule maps a raw line (its text, without the ``\\n``) to an event kind, the ground-truth group of that
line, or to None when it knows no kind for it (such lines are counted and left out of the scores). The
rules were written from reading each log itself, before any parser's output on it was looked at; a
kind is what one logging statement of the program writes (its variable parts are values, not kinds),
read off the text that statement always writes. They give group ids, not templates in the Loghub
convention, so the suite reports GA and FGA only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RegexRule", "DPKG", "AUTH", "MYSQL8", "KUBELET", "RULES"]


@dataclass(frozen=True)
class RegexRule:
    """Strip ``prefix`` where it matches the line's start, then the first case whose pattern matches the
    rest (``re.match``) names the kind: its label, with ``\\1``-style groups filled in."""

    name: str
    prefix: str
    cases: Sequence[tuple[str, str]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_prefix", re.compile(self.prefix))
        object.__setattr__(self, "_cases", [(re.compile(p), label) for p, label in self.cases])

    def __call__(self, line: str) -> str | None:
        m = self._prefix.match(line)  # type: ignore[attr-defined]
        return self.kind(line[m.end():] if m else line)

    def kind(self, rest: str) -> str | None:
        """The kind of a line's text after the prefix."""
        for pattern, label in self._cases:  # type: ignore[attr-defined]
            found = pattern.match(rest)
            if found:
                return found.expand(label)
        return None


_PKG = r"\S+"  # a package name with or without ':arch'
_VER = r"\S+"  # a version, or '<none>'

# dpkg.log (dpkg's own log, /var/log/dpkg.log): "DATE TIME ACTION ...". The action names the kind; for
# "status" lines the state reached is part of it (each state is its own event), for "startup" lines the
# two words after it (three fixed lines). Package names and versions are values.
DPKG = RegexRule("dpkg", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", [
    (r"startup (archives|packages) (install|unpack|configure|remove|purge)$", r"startup \1 \2"),
    (rf"status ([a-z-]+) {_PKG} {_VER}$", r"status \1"),
    (rf"(install|upgrade|configure|trigproc|remove|purge) {_PKG} {_VER} {_VER}$", r"\1"),
    (r"conffile \S+ (install|keep)$", r"conffile \1"),
])

# auth.log (rsyslog, high-precision stamps): "STAMP HOST PROGRAM[PID]: MESSAGE". Kinds come from the
# message; a pam_unix line's module prefix "pam_unix(SERVICE:TYPE)" is part of its kind (it names which
# program's PAM stack wrote it). sudo's command line is one kind whatever optional parts (TTY=) it has. A
# "message repeated N times: [ X ]" line is its own kind per kind of X.
_AUTH_MSG: list[tuple[str, str]] = [
    (r"(pam_unix\([\w-]+:session\)): session opened for user \S*\(uid=\d+\) by \S*\(uid=\d+\)$", r"\1 opened"),
    (r"(pam_unix\([\w-]+:session\)): session closed for user \S+$", r"\1 closed"),
    (r"(pam_unix\([\w-]+:auth\)): authentication failure; logname=", r"\1 auth failure"),
    (r"(pam_unix\([\w-]+:chauthtok\)): authentication failure; logname=", r"\1 auth failure"),
    (r"(pam_unix\([\w-]+:auth\)): conversation failed$", r"\1 conversation failed"),
    (r"(pam_unix\([\w-]+:auth\)): auth could not identify password for \[", r"\1 no password"),
    (r"(pam_unix\([\w-]+:chauthtok\)): password changed for ", r"\1 password changed"),
    (r"gkr-pam: no password is available for user$", "gkr no password"),
    (r"gkr-pam: unlocked login keyring$", "gkr unlocked"),
    (r"gkr-pam: unable to locate daemon control file$", "gkr no control file"),
    (r"gkr-pam: stashed password to try later in open session$", "gkr stashed"),
    (r"gkr-pam: changed password for login keyring$", "gkr changed password"),
    (r"gkr-pam: couldn't update the login keyring password: ", "gkr could not update"),
    (r"\s*\S+ : (?:TTY=\S+ ; )?PWD=.* ; USER=\S+ ; (?:ENV=.* ; )?COMMAND=", "sudo command"),
    (r"\s*\S+ : \d+ incorrect password attempts? ; ", "sudo incorrect password"),
    (r"\s*\S+ : user NOT in sudoers ; ", "sudo not in sudoers"),
    (r"\s*\S+ : unable to resolve host \S+: ", "sudo unresolved host"),
    (r"ssh-agent: Child process exited with code \d+$", "ssh-agent child exited"),
    (r"ssh-agent: Child process killed by signal \d+$", "ssh-agent child killed"),
    (r"couldn't connect to ssh-agent: ssh-agent process is not ready$", "ssh-agent not ready"),
    (r"GLib-GObject: g_object_unref: assertion ", "g_object_unref assertion"),
    (r"discover_other_daemon: \d+$", "discover other daemon"),
    (r"asked to register item \S+, but it's already registered$", "item already registered"),
    (r"The Secret Service was already initialized$", "secret service initialized"),
    (r"The PKCS#11 component was already initialized$", "pkcs11 initialized"),
    (r"Watching system buttons on \S+ \(", "logind watching buttons"),
    (r"Operation '\w+' finished\.$", "logind operation finished"),
    (r"Suspending\.\.\.$", "logind suspending"),
    (r"Lid (opened|closed)\.$", r"logind lid \1"),
    (r"The system will (suspend|reboot|power off) now!$", r"logind will \1"),
    (r"System is (rebooting|powering down)\.$", r"logind system \1"),
    (r"New session \S+ of user \S+\.$", "logind new session"),
    (r"New seat \S+\.$", "logind new seat"),
    (r"Removed session \S+\.$", "logind removed session"),
    (r"Session \S+ logged out\. Waiting for processes to exit\.$", "logind logged out"),
    (r"Existing logind session ID \d+ used by new audit session, ignoring\.$", "logind existing session"),
    (r"Delay lock is active \(", "logind delay lock"),
    (r"\[system\] rejected attempt to call AddMatch by connection ", "dbus rejected AddMatch"),
    (r"\[system\] Rejected send message, \d+ matched rules; ", "dbus rejected send"),
    (r"\S+: Executing command \[USER=", "pkexec executing"),
    (r"\S+: Error executing command as another user: ", "pkexec error"),
    (r"Registered Authentication Agent for ", "polkit registered agent"),
    (r"Unregistered Authentication Agent for ", "polkit unregistered agent"),
    (r"Loading rules from directory \S+$", "polkit loading rules"),
    (r"Finished loading, compiling and executing \d+ rules$", "polkit finished loading"),
    (r"Error opening rules directory: ", "polkit error opening"),
    (r"Identity `\S+' is not valid, ignoring: ", "polkit identity not valid"),
    (r"Acquired the name \S+ on the system bus$", "polkit acquired name"),
    (r"Operator of \S+ successfully authenticated as ", "polkit authenticated"),
    (r"Operator of \S+ FAILED to authenticate ", "polkit failed to authenticate"),
    (r"Reloading rules$", "polkit reloading"),
    (r"Collecting garbage unconditionally\.\.\.$", "polkit collecting garbage"),
    (r"\(to \S+\) \S+ on \S+$", "su to"),
    (r"new user: name=", "useradd new user"),
    (r"new group: name=", "groupadd new group"),
    (r"group added to /etc/group: name=", "groupadd added group"),
    (r"group added to /etc/gshadow: name=", "groupadd added gshadow"),
    (r"members of group \S+ set by \S+ to ", "gpasswd members set"),
    (r"changed user '\S+' information$", "chfn changed"),
]


class _AuthRule(RegexRule):
    """auth.log: the message kinds above, and "message repeated N times: [ X ]" by X's kind."""

    def __call__(self, line: str) -> str | None:
        m = self._prefix.match(line)  # type: ignore[attr-defined]
        rest = line[m.end():] if m else line
        rep = re.match(r"message repeated \d+ times: \[ ?(.*)\]$", rest)
        if rep:
            inner = self.kind(rep.group(1))
            return None if inner is None else f"repeated: {inner}"
        return self.kind(rest)


AUTH = _AuthRule("auth", r"\S+ \S+ [^:]*?: ", _AUTH_MSG)

# mysqld.log (MySQL 8.0 error log): "STAMP THREAD [LEVEL] [MY-NNNNNN] [SUBSYSTEM] MESSAGE". The error code
# names the message (one code, one format string), except MY-011071, a plugin's own message passed
# through, whose kind is the plugin's message (its first words). Lines outside the format: the loader's.
MYSQL8 = RegexRule("mysql8", r"", [
    (r"\S+ \d+ \[\w+\] \[(MY-011071)\] \[\w+\] Plugin (\S+) reported: '(\w+ \w+ \w+)", r"\1 \2 \3"),
    (r"\S+ \d+ \[\w+\] \[(MY-\d+)\] ", r"\1"),
    (r"\S+: symbol lookup error: \S+: undefined symbol: \S+$", "symbol lookup error"),
])

# kubelet.log (a Rancher RKE kubelet container's log): klog lines "LMMDD TIME PID FILE:LINE] MESSAGE",
# whose kind is their call site FILE:LINE (one logging statement); the entrypoint script's xtrace lines
# ("+ COMMAND ...", "++" when nested), whose kind is the script line: the command word with its nesting
# depth, for a '[' test what it tests against (the text after the expanded first operand), for 'for'
# and echo the loop or the first word (both written as the script has them); and the few lines other
# programs print.
KUBELET = RegexRule("kubelet", r"", [
    (r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ (\S+:\d+)\] ", r"klog \1"),
    (r"(\++) '\[' \S+ (.*)$", r"sh\1 [ \2"),
    (r"(\++) for (\w+ in \S+)", r"sh\1 for \2"),
    (r"(\++) ([A-Za-z_][A-Za-z0-9_]*)=", r"sh\1 assign \2"),
    (r"(\++) echo (/var/lib/docker|kubelet)\b", r"sh\1 echo \2"),
    (r"(\++) (\S+)", r"sh\1 \2"),
    (r"Flag --\S+ has been deprecated, This parameter should be set via the config file", "flag deprecated"),
    (r"Flag --\S+ has been deprecated, will be removed in ", "flag deprecated, removed"),
    (r"umount: \S+: not mounted\.$", "umount not mounted"),
    (r"[\w.-]+ = \S+$", "sysctl value"),
    (r"/var/lib/docker/\S*$", "script value line"),  # the lines of a multi-line shell value
    (r"\tFor verbose messaging see \S+$", "aws verbose hint"),
])

RULES: dict[str, RegexRule] = {r.name: r for r in (DPKG, AUTH, MYSQL8, KUBELET)}
