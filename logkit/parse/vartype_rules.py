"""Tables and value shapes behind variable typing: keyword -> type maps, units, and a shape classifier.

Kept apart from :mod:`logkit.parse.vartypes` so the decision logic there stays short and readable.
"""

from __future__ import annotations

import re
from functools import lru_cache

from logkit.records import VarType

__all__ = [
    "ADDRESS_WORDS",
    "IDENTITY_WORDS",
    "KEYWORDS",
    "ENTITY_WORDS",
    "STOPWORDS",
    "TIME_UNITS",
    "SIZE_UNITS",
    "key_parts",
    "shape_of",
    "unit_type",
]

OID, LOI, OBN, TID, SID = VarType.OID, VarType.LOI, VarType.OBN, VarType.TID, VarType.SID
TDA, CRS, OBA, STC, OTP = VarType.TDA, VarType.CRS, VarType.OBA, VarType.STC, VarType.OTP


def _words(kind: VarType, text: str) -> dict[str, VarType]:
    return dict.fromkeys(text.split(), kind)


# Context words (a ``key=`` / ``key:`` name, or a word just before the value) -> the type they announce.
KEYWORDS: dict[str, VarType] = {
    **_words(
        OID,
        "id ids pid ppid tid uid gid euid ruid suid sid session sessionid sess user users username ruser "
        "owner login logname account accounts request requestid req job jobid task taskid process proc "
        "thread child container containerid app application appid block blk txn transaction xid zxid "
        "instance worker executor partition stage rank symbol sym slot variable broadcast leader myid "
        "connection conn attempt_id trace traceid span spanid correlation uuid guid serial ticket member "
        "publickey password jti principal customer tenantid orderid order",
    ),
    **_words(
        LOI,
        "port ports ip ips addr address host hostname rhost lhost server remote peer endpoint src dest dst "
        "destination url uri href path paths dir directory folder location loc node datanode namenode "
        "listen bind mount mountpoint line lineno referer referrer origin route gateway nexthop via cwd "
        "home prefix target socket spt dpt sport dport lport rport",
    ),
    **_words(
        OBN,
        "name class classname component module service domain queue package pkg table database db "
        "schema topic index cluster pool plugin filter function func image pod deployment program command "
        "cmd executable exe script file filename group volume object repo bucket profile role tenant "
        "project namespace logger device dev interface iface driver agent useragent library lib host_name "
        "provider vendor model handler controller resource region zone container_name unit daemon",
    ),
    **_words(
        TID,
        "type types kind category level loglevel severity priority mode protocol proto format method "
        "scheme encoding algorithm algo policy action event cipher flavor flavour currency collector "
        "strategy op operation verb charset codec engine backend suite family",
    ),
    **_words(
        OTP,
        "version ver revision rev timezone tz ratio checksum hash md5 sha sha1 sha256 crc bits generation "
        "seed score progress lat lon latitude longitude brightness temperature temp voltage rpm weight price "
        "amount value key msg message statement query reason text comment description title label round "
        "tty mask expression expr epoch",
    ),
    **_words(SID, "enabled enable disabled disable switch toggle active flag_value"),
    **_words(
        TDA,
        "time times_ms duration elapsed took took_ms after timeout delay interval latency wait waited "
        "period uptime age ttl sleep sleeptime ticktime lifetime expires expiry expiration since date "
        "timestamp ts datetime clock deadline backoff ms msec millis seconds secs sec minutes hours "
        "startup runtime cost spent rtt",
    ),
    **_words(
        CRS,
        "size sizes len length bytes byte memory mem heap ram disk space capacity free cpu cpus vcpu vcpus "
        "vcores vcore cores load quota buffer buffersize swap bandwidth throughput rss vsz vm headroom "
        "avail available allocated reserved mb kb gb kib mib gib storage usage util utilization bps mbps "
        "offheap nonheap sort",
    ),
    **_words(
        OBA,
        "count counts num number total retries retry maxretries attempts attempt tried tries records rows "
        "lines files items tasks maps reduces entries nodes threads occurrences times messages msgs events "
        "connections errors failures steps buffers shards replicas concurrency workers pending completed "
        "limit batch batches elements objects keys pages hits misses requests jobs containers "
        "partitions instances servers clients users sessions blocks packets frames iterations epochs "
        "found processed skipped dropped failed succeeded waiting running queued retried",
    ),
    **_words(
        STC,
        "status statuscode code rc ret retval return returned exit exitcode exitstatus errno err error "
        "errorcode result state states response hresult exception reply outcome health condition "
        "transitioned signal sig returning respond responded responding",
    ),
}

# Words naming a kind of object: a numeric or hex value after them is its id (OID), a word its name (OBN).
ENTITY_WORDS = frozenset(
    "job task thread container process proc worker executor stage partition instance app application "
    "service pod vm session request block child slot core cpu variable broadcast connection conn txn "
    "transaction order member node server client handler queue channel stream shard replica segment "
    "volume disk device".split()
)

# Words whose value is an id even when it looks like a name (``user root``): never OBN.
IDENTITY_WORDS = frozenset(
    "user users username ruser uid euid ruid gid owner login logname account principal customer member "
    "session sessionid sid id ids pid tid request requestid req publickey password".split()
)

# Words before a hex value that make it an address (a location), not an id.
ADDRESS_WORDS = frozenset("at ip sp pc lr rip eip rsp bp addr address offset base dcr iar".split())

# Small words skipped when looking back for the word that explains a value.
STOPWORDS = frozenset(
    "of to is are was were at in on for by with from the a an set be been as than into and or now being "
    "has have had its this that it new old using via per".split()
)

TIME_UNITS = frozenset(
    "ms msec msecs millis millisecond milliseconds s sec secs second seconds us usec usecs µs microsecond "
    "microseconds ns nanosecond nanoseconds min mins minute minutes m h hr hrs hour hours d day days "
    "week weeks".split()
)
SIZE_UNITS = frozenset(
    "b byte bytes k kb kib ki m mb mib mi g gb gib gi t tb tib ti pb kbps mbps gbps bps pages cores core "
    "cpus vcpus vcores cpu mhz ghz % percent".split()
)


def unit_type(unit: str) -> VarType | None:
    """The type a unit word announces (``ms`` -> TDA, ``MB`` -> CRS), or None when it is not a unit.

    A lone upper-case ``M``/``G``/``K``/``T`` is a size, a lone lower-case ``m`` a duration (minutes).
    """
    if unit in ("M", "G", "K", "T", "B", "Mi", "Gi", "Ki", "Ti"):
        return CRS
    low = unit.lower()
    if low in TIME_UNITS:
        return TDA
    if low in SIZE_UNITS:
        return CRS
    return None


_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=4096)
def key_parts(key: str) -> tuple[str, ...]:
    """A key split for lookup, telling part first: ``totalSteps`` -> (``totalsteps``, ``steps``, ``total``).

    The whole key comes first, then its last part (the head noun), then the other parts from the end.
    """
    low = key.lower().strip("._-")
    parts = [p.lower() for p in _CAMEL.findall(key.replace("-", "_").replace(".", "_"))]
    if "per" in parts[1:]:
        parts = parts[: parts.index("per")]  # "bytesPerChecksum": bytes are the head
    out = [low]
    for p in reversed(parts):
        if p not in out:
            out.append(p)
    return tuple(out)


# ---------------------------------------------------------------------------------------------- shapes

_INT = re.compile(r"[-+]?\d+")
_FLOAT = re.compile(r"[-+]?\d*\.\d+(?:[eE][-+]?\d+)?")
_NUM_UNIT = re.compile(r"[-+]?\d+(?:[.,]\d+)?\s?([A-Za-zµ%]+)")
_IPV4 = re.compile(r"(?:[\w.-]*/)?\[?\d{1,3}(?:\.\d{1,3}){3}\]?(?::\d{1,5})?(?:/\d{1,2})?")
_IPV6 = re.compile(r"/?\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?\]?(?::\d{1,5})?")
_URL = re.compile(r"[A-Za-z][\w+.-]*://")
_HOST_PORT = re.compile(r"[A-Za-z][\w.-]*:\d{1,5}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PREFIXED_ID = re.compile(
    r"(?:blk|application|appattempt|container|attempt|job|task|rdd|broadcast|shuffle|req|session|sess|txn|"
    r"tx|msg|evt|user|usr|u|order|ord|cus|cust|ch|pi|in|sub|acct|run|build|tid|pid|worker|executor|"
    r"stage|part|segment|snapshot|checkpoint|commit|trace|span)[_-][\w-]*\d[\w-]*",
    re.IGNORECASE,
)
_HEX0X = re.compile(r"0[xX][0-9a-fA-F]+")
_HEX = re.compile(r"[0-9a-fA-F]{6,}")
_B64ID = re.compile(r"[A-Za-z0-9+/=_-]{16,}")
_DATE = re.compile(
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}([-/])\d{1,2}\1\d{2,4}(?![\d.])|\d{1,2}\.\d{1,2}\.\d{4}(?![\d.])"
    r"|\d{6,8}[-T ]\d{1,2}:\d{1,2}"
    r"|\d{6} +\d{1,2}:\d{2}|\d{1,2}:\d{2}(?::\d{2})?(?:[.,:]\d+)?$"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?,? +\d"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? +"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* +\d)"
)
_TIME_IN = re.compile(r"\d{1,2}:\d{2}:\d{2}")
_VERSION = re.compile(r"v?\d+(?:\.\d+){2,}(?:[-+~_][\w.+~-]*)?|v\d+(?:\.\d+)?")
_CLASS = re.compile(r"(?:[a-z_][\w]*\.){2,}[\w$]+|[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*\$[\w$]+")
_DOTTED = re.compile(r"[A-Za-z0-9][\w-]*(?:\.[\w-]+)+\.?")
_PATH_REL = re.compile(r"(?:\.{1,2}/|~/|[A-Za-z]:\\|\\\\)")
_PATHISH = re.compile(r"[\w.-]+(?:/[\w.@%+-]+){2,}/?")
_WORD = re.compile(r"[A-Za-z][A-Za-z_-]*")
_CAPS = re.compile(r"[A-Z][A-Z0-9_]*")
_BGL_LOC = re.compile(r"R\d+-M\d(?:-[A-Z0-9]+)*(?::J\d+-U\d+)?")
_MAC = re.compile(r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}")
_REGISTRY = re.compile(r"(?:HKLM|HKCU|HKCR|HKU|HKCC|HKEY_[A-Z_]+)\\")
_FRACTION = re.compile(r"\d+/\d+")
_DEVICE = re.compile(
    r"(?:eth|ens|enp|eno|wlan|wlp|wl|lo|bond|br|docker|veth|virbr|tun|tap|sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|"
    r"nvme\d+n|mmcblk|md|dm-|loop)\d+(?:p?\d+)?"
)
_FRAME = re.compile(r"[\w.$<>]+\([\w.$-]+:\d+\)")
_RUNTIME_ID = re.compile(r"(?:docker|containerd|cri-o)://[0-9a-f]{6,}")
_USER_AGENT = re.compile(r"[A-Za-z][\w.-]*/\d[\w.]* \(")
NULL_WORDS = frozenset("null (null) none nil <none> <null> n/a - undefined".split())

TLDS = frozenset(
    "com net org edu gov mil io co uk de fr jp cn hk ru us ca au in local localdomain internal lan corp "
    "intranet home arpa cloud dev app info biz me tv eu nl se ch it es br kr tw".split()
)
FILE_EXTS = frozenset(
    "log txt xml json yaml yml conf cfg ini properties jar war class so dll exe sys bin cpp cc c h hpp "
    "java py go rs js ts rb php pl sh bat cmd scala kt jsp html htm css png jpg gif ico pdf zip gz tgz "
    "tar bz2 xz zst csv tsv parquet db sqlite pem crt key cert service socket timer mount target jhist "
    "out err pid lock tmp bak swp dat idx img iso deb rpm msi dmg apk ipa md rst sql".split()
)
BOOL_WORDS = frozenset(
    "true false on off yes no enabled disabled enable disable active inactive paused resumed asserted "
    "deasserted y n t f".split()
)
STATUS_WORDS = frozenset(
    "running failed failure succeeded success successful killed stopped started starting stopping new "
    "pending inited initialized initializing setup scheduled assigned unassigned finished completed "
    "commit_pending succeeded looking following leading observing ok error warning critical healthy "
    "unhealthy degraded ready notready waiting terminated terminating crashed exited dead alive up down "
    "online offline green yellow red open closed established listen time_wait close_wait syn_sent "
    "accepted rejected denied granted timeout timedout expired valid invalid unknown idle busy active "
    "suspended shutdown connected disconnected available unavailable fatal aborted cancelled canceled "
    "done blocked passed".split()
)
LEVEL_WORDS = frozenset(
    "trace debug info notice warn warning error err crit critical alert emerg fatal severe".split()
)
PROTO_WORDS = frozenset(
    "tcp udp icmp http https http2 grpc ws wss ftp sftp ssh smtp imap pop3 dns tls ssl quic mqtt amqp "
    "get post put delete patch head options connect ipv4 ipv6".split()
)


@lru_cache(maxsize=65536)
def shape_of(v: str) -> str:
    """A short code for the value's shape; codes starting with a type name decide the type by themselves.

    Codes: ``=XXX`` (decided: a VarType value), ``int``, ``float``, ``num`` (other numeric), ``hex``,
    ``hex0x``, ``bool``, ``status``, ``level``, ``proto``, ``caps``, ``word``, ``version``, ``file``,
    ``other``. Deciding shapes: URLs, IPs, paths, host:port, block/app/container ids, UUIDs, dates, units
    glued to numbers (``12ms``, ``64MB``, ``50%``), class names, host names.
    """
    if not v:
        return "other"
    c0 = v[0]
    low = v.lower()
    # numbers first: the commonest variables
    if c0.isdigit() or (c0 in "-+." and len(v) > 1 and (v[1].isdigit() or v[1] == ".")):
        if _INT.fullmatch(v):
            return "int"
        if _FLOAT.fullmatch(v):
            return "float"
        if _IPV4.fullmatch(v) or _MAC.fullmatch(v):
            return "=LOI"
        if _DATE.match(v) or _TIME_IN.search(v):
            return "=TDA"
        if _UUID.search(v):
            return "=OID"
        m = _NUM_UNIT.fullmatch(v)
        if m:
            t = unit_type(m.group(1))
            if t is not None:
                return "=" + t.value
        if _VERSION.fullmatch(v):
            return "version"
        if _FRACTION.fullmatch(v):
            return "num"
        if ":" in v and _IPV6.fullmatch(v) and (v.count(":") >= 3 or "::" in v):
            return "=LOI"
        if _HEX.fullmatch(v):
            return "hex"
        if _HEX0X.fullmatch(v):
            return "hex0x"
        if "/" in v and _PATHISH.fullmatch(v):
            return "=LOI"
        if v.replace(".", "").replace("_", "").replace("-", "").replace(":", "").isdigit():
            return "num"
        if _DOTTED.fullmatch(v):
            return _dotted(v, low)
        return "mixed"
    if low in NULL_WORDS:
        return "=OTP"
    if c0 == "/":
        if len(v) == 1:
            return "other"
        if _IPV4.fullmatch(v[1:]) or (":" in v and _IPV6.fullmatch(v)):
            return "=LOI"
        return "=LOI"
    if "://" in v and _URL.match(v):
        if _RUNTIME_ID.fullmatch(v):
            return "=OID"
        return "=LOI"
    if _PATH_REL.match(v) or _REGISTRY.match(v) or _MAC.fullmatch(v):
        return "=LOI"
    if c0 == "[" and (_IPV6.fullmatch(v) or _IPV4.fullmatch(v)):
        return "=LOI"
    if low in BOOL_WORDS and low not in ("t", "f", "y", "n"):
        return "bool"
    if _HEX0X.fullmatch(v):
        return "hex0x"
    if _UUID.search(v):
        return "=OID"
    if _PREFIXED_ID.fullmatch(v):
        return "=OID"
    if _DATE.match(v):
        return "=TDA"
    if "(" in v:
        if _FRAME.fullmatch(v):
            return "=LOI"
        if _USER_AGENT.match(v):
            return "=OBN"
    if ":" in v:
        if v.count(":") >= 2 and _IPV6.fullmatch(v) and any(ch.isdigit() for ch in v):
            return "=LOI"
        if _HOST_PORT.fullmatch(v):
            return "=LOI"
        if _IPV4.fullmatch(v):
            return "=LOI"
    if any(ch.isdigit() for ch in v) and _TIME_IN.search(v):
        return "=TDA"
    if "@" in v and _EMAIL.fullmatch(v):
        return "=OID"
    if _IPV4.fullmatch(v):
        return "=LOI"
    if _BGL_LOC.fullmatch(v):
        return "=LOI"
    if _DEVICE.fullmatch(v):
        return "=OBN"
    if low in PROTO_WORDS:
        return "proto"
    if _HEX.fullmatch(v) and any(ch.isdigit() for ch in v):
        return "hex"
    if "." in v and _DOTTED.fullmatch(v):
        return _dotted(v, low)
    if "$" in v and _CLASS.fullmatch(v):
        return "=OBN"
    if "/" in v and _PATHISH.fullmatch(v):
        return "=LOI"
    if _CAPS.fullmatch(v):
        return _word_kind(low, caps=True)
    if _WORD.fullmatch(v):
        return _word_kind(low, caps=False)
    if len(v) >= 16 and _B64ID.fullmatch(v) and sum(ch.isdigit() for ch in v) >= 2:
        return "=OID"
    if " " in v:
        return "text"
    return "mixed"


def _word_kind(low: str, caps: bool) -> str:
    if low in STATUS_WORDS and caps:
        return "status"
    if low in LEVEL_WORDS:
        return "level"
    if low in PROTO_WORDS and caps:
        return "proto"
    if caps and (low.startswith("err_") or "_e_" in low or low.startswith("e_")):
        return "=STC"
    if low in STATUS_WORDS:
        return "statusword"
    return "caps" if caps else "word"


def _dotted(v: str, low: str) -> str:
    """A dotted token: host name (LOI), file name or class name (OBN), or a version (OTP)."""
    parts = low.rstrip(".").split(".")
    last = parts[-1]
    if all(p.isdigit() for p in parts):
        return "version"
    if _VERSION.fullmatch(v):
        return "version"
    if last in FILE_EXTS and len(parts) == 2:
        return "file"
    if last in TLDS and len(parts) >= 2 and (not v[0].isupper() or "-" in v or len(parts) >= 3):
        return "=LOI"
    if _CLASS.fullmatch(v) or (len(parts) >= 2 and v.rsplit(".", 1)[-1][:1].isupper()):
        return "class"
    if last in FILE_EXTS:
        return "file"
    return "dotted"
