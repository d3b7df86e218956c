"""The built-in sample organisation: a deterministic company with known, planted problems.

`build_sample` makes every table of the data contract for a fictional company that sells
servers, storage, networking and software to businesses in three or four regions. The same
seed always gives the same company; `scale` multiplies reps, customers and volumes.

On top of ordinary noise (seasonality with a strong Q4, growth that follows the market, reps of
different size and skill, techniques that win more or less often) the generator plants known
problems and writes each one to `Sample.ground_truth`, so that goals, monitoring, diagnosis and
recognition can be checked against what is really in the data. `Problems` chooses which ones are
planted and where; by default the seed chooses the product, family, department, segment,
campaign and reps, so downstream thresholds are not tuned to one data set.

Revenue, as the targets are set against it, is the sum of `quantity * unit_price` over order
lines that were not cancelled or returned, by order date. Targets of normal sellers are set so
that they land between 90% and 110% of goal each quarter; the problem reps clearly below; the top
performers clearly above (125% or more): each rep's quarterly target is the realised revenue
divided by a planted attainment, so the bands hold exactly while the shortfall or surplus itself
comes from the planted effects in the raw data. Support staff (sales engineers) get revenue
targets on the won deals they supported, by close date.

History runs from 1 January two years before `end` to `end`; deals opened in the year before
that and closed inside it are kept, so the pipeline is full from the first day.

Example:
    >>> sample = build_sample(seed=7, scale=0.2)
    >>> sorted(sample.tables)[:3]
    ['activities', 'campaigns', 'courses']
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salescoach.contract import TABLES

DEFAULT_END = "2026-09-30"
# Volumes at scale 1; everything grows linearly with scale.
LINES_PER_SCALE = 150_000
DEALS_PER_SCALE = 20_000
CUSTOMERS_PER_SCALE = 3_000
SELLERS_PER_SCALE = 60
_PRE_DAYS = 365
NAT = np.iinfo(np.int64).min  # numpy's NaT as an integer day

# --------------------------------------------------------------------------- words

# fmt: off

_GREEK_MALE = ["Γιώργος", "Νίκος", "Κώστας", "Δημήτρης", "Γιάννης", "Παναγιώτης", "Βασίλης", "Χρήστος", "Αντώνης", "Μιχάλης", "Σπύρος", "Θανάσης", "Στέλιος", "Άγγελος", "Πέτρος", "Αλέξανδρος"]
_GREEK_FEMALE = ["Μαρία", "Ελένη", "Κατερίνα", "Βασιλική", "Σοφία", "Αγγελική", "Δήμητρα", "Γεωργία", "Ευαγγελία", "Χριστίνα", "Ειρήνη", "Αναστασία", "Φωτεινή", "Νίκη", "Δέσποινα", "Ιωάννα"]
_GREEK_SURNAMES = [
    ("Παπαδόπουλος", "Παπαδοπούλου"), ("Παπαδάκης", "Παπαδάκη"), ("Γεωργίου", "Γεωργίου"),
    ("Οικονόμου", "Οικονόμου"), ("Νικολάου", "Νικολάου"), ("Παππάς", "Παππά"),
    ("Βασιλείου", "Βασιλείου"), ("Ιωάννου", "Ιωάννου"), ("Αθανασίου", "Αθανασίου"),
    ("Μακρής", "Μακρή"), ("Αντωνίου", "Αντωνίου"), ("Καραγιάννης", "Καραγιάννη"),
    ("Δημητρίου", "Δημητρίου"), ("Κωνσταντίνου", "Κωνσταντίνου"), ("Χατζής", "Χατζή"),
    ("Μαυρίδης", "Μαυρίδου"), ("Αλεξίου", "Αλεξίου"), ("Θεοδωρίδης", "Θεοδωρίδου"),
    ("Σταματόπουλος", "Σταματοπούλου"), ("Λαμπράκης", "Λαμπράκη"), ("Κυριακίδης", "Κυριακίδου"),
    ("Ζαχαρίου", "Ζαχαρίου"), ("Πετρίδης", "Πετρίδου"), ("Τσακίρης", "Τσακίρη"),
]
_ENGLISH_FIRST = ["James", "Maria", "David", "Anna", "Michael", "Sarah", "Daniel", "Laura", "Thomas", "Emma", "Peter", "Sophie", "Mark", "Helen", "Paul", "Kate", "Andrew", "Julia", "Chris", "Nina", "Robert", "Clara", "Steven", "Olivia", "Martin", "Eva", "George", "Lucy", "Alex", "Irene", "Jonathan", "Rachel", "Simon", "Alice", "Nick", "Diana"]
_ENGLISH_SURNAMES = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Green", "Hall", "Wood", "Clarke", "Hughes", "Turner", "Hill", "Moore", "Cooper", "Ward", "King", "Baker", "Carter", "Mitchell", "Bennett", "Parker", "Collins", "Morgan", "Murphy", "Reed", "Shaw", "Fisher", "Grant", "Lawson", "Palmer"]

# (english, greek, list price, lead days to deliver, unit cost as a share of the price)
_FAMILIES = [
    ("Servers", "Διακομιστές", 14, 0.62, [
        ("Rack server R1", "Διακομιστής rack R1", 4800.0),
        ("Rack server R2", "Διακομιστής rack R2", 7900.0),
        ("Tower server T1", "Διακομιστής tower T1", 2900.0),
        ("Edge server E1", "Διακομιστής edge E1", 3600.0),
    ]),
    ("Storage", "Αποθήκευση", 18, 0.58, [
        ("NAS 8-bay", "NAS 8 θέσεων", 3200.0),
        ("SAN array S1", "Συστοιχία SAN S1", 18000.0),
        ("Backup appliance B1", "Συσκευή αντιγράφων B1", 6500.0),
        ("All-flash shelf F1", "Ράφι flash F1", 9500.0),
    ]),
    ("Networking", "Δικτύωση", 7, 0.55, [
        ("Switch 24-port", "Μεταγωγέας 24 θυρών", 1100.0),
        ("Switch 48-port", "Μεταγωγέας 48 θυρών", 1900.0),
        ("Wi-Fi access point", "Σημείο πρόσβασης Wi-Fi", 380.0),
        ("Firewall F1", "Τείχος προστασίας F1", 2700.0),
    ]),
    ("Software", "Λογισμικό", 2, 0.22, [
        ("Backup suite licence", "Άδεια λογισμικού αντιγράφων", 450.0),
        ("Monitoring licence", "Άδεια παρακολούθησης", 220.0),
        ("Security suite licence", "Άδεια λογισμικού ασφαλείας", 300.0),
        ("Virtualisation licence", "Άδεια εικονικοποίησης", 900.0),
    ]),
]
# How much each segment leans to each family (Dirichlet weights, in _FAMILIES order).
_SEGMENT_FIT = np.array([[3.0, 3.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0], [0.7, 0.8, 2.5, 3.0], [2.0, 1.5, 2.0, 1.5]])
_SEGMENT_SHARE = np.array([0.10, 0.30, 0.45, 0.15])
_SEGMENT_ORDER_RATE = np.array([3.0, 1.5, 0.6, 1.2])  # repeat orders, relative
_SEGMENT_LINE_BUDGET = np.array([6000.0, 3000.0, 1200.0, 4000.0])
_SEGMENT_DEAL_BUDGET = np.array([60000.0, 25000.0, 8000.0, 40000.0])
_SEGMENT_DISCOUNT = np.array([0.11, 0.07, 0.04, 0.09])
_SEGMENT_CYCLE_DAYS = np.array([75.0, 45.0, 20.0, 90.0])
_SEGMENT_WIN = np.array([1.0, 1.05, 1.0, 0.9])
_TECHNIQUE_WIN = np.array([1.15, 1.08, 1.05, 1.0, 0.82])
_SOURCE_WIN = np.array([1.3, 1.1, 0.8])  # referral, inbound, outbound; campaigns 0.95
_SOURCES = ("referral", "inbound", "outbound")
_SEASON = {1: 0.88, 2: 0.98, 3: 0.90, 4: 1.24}

_TEXT = {
    "en": {
        "company_domain": "aegean-systems.example",
        "departments": ["North", "South", "East", "West"],
        "team_letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "segments": ["enterprise", "mid-market", "small business", "public sector"],
        "industries": ["manufacturing", "retail", "healthcare", "finance", "logistics", "hospitality", "education", "construction", "public administration"],
        "name_prefix": ["Aegean", "Olympus", "Delta", "Apex", "Meridian", "Atlas", "Orion", "Helios", "Poseidon", "Vertex", "Summit", "Harbor", "Crescent", "Pioneer", "Cedar", "Silver", "Blue", "Northstar", "Ionian", "Cyclades", "Pindus", "Athena", "Nova", "Zenith", "Phoenix", "Triton", "Lyra", "Aurora", "Granite", "Evergreen"],
        "name_core": ["Foods", "Logistics", "Clinics", "Retail", "Bank", "Hotels", "Builders", "Metals", "Pharma", "Textiles", "Energy", "Motors", "Labs", "Shipping", "Media", "Software", "Plastics", "Dairy", "Wines", "Marine"],
        "name_suffix": ["S.A.", "Ltd", "Group", "& Co", "Holdings"],
        "institutions": ["Municipality of {}", "Regional Authority of {}", "University of {}", "General Hospital of {}", "Port Authority of {}"],
        "cities": ["Athens", "Thessaloniki", "Patras", "Heraklion", "Larissa", "Volos", "Ioannina", "Chania", "Kavala", "Kalamata", "Serres", "Rhodes", "Corfu", "Lamia", "Xanthi", "Drama", "Kozani", "Trikala", "Chalkida", "Agrinio"],
        "techniques": ["consultative", "solution selling", "SPIN", "challenger", "price-led"],
        "channels": ["email", "webinar", "trade show", "paid search", "LinkedIn"],
        "product_course": "{family}: product knowledge",
        "courses": [
            ("audience", "Selling to the public sector", 730),
            ("audience", "Understanding enterprise buyers", 730),
            ("strategy", "Consultative selling", 730),
            ("strategy", "Account planning", 730),
            ("skills", "Negotiation and pricing", 540),
            ("skills", "Discovery calls", 540),
            ("skills", "Presentation skills", 730),
        ],
        "comments": {
            "late": ["late delivery", "arrived two weeks late", "delivery was late again", "missed the promised date"],
            "product": ["broke after a week", "stopped working after a few days", "faulty unit, had to return it", "poor build quality"],
            "price": ["too expensive", "competitor offered a better price", "price went up too much"],
            "service": ["slow support", "waited days for an answer", "support never called back"],
            "positive": ["great service", "fast delivery", "good value for money", "very helpful sales rep", "works perfectly"],
            "neutral": ["ok", "as expected", "fine overall"],
        },
        "market_cut": "competitors cut prices",
        "market_forecast": "forecast",
        "greek_share": 0.08,
    },
    "el": {
        "company_domain": "aegean-systems.example",
        "departments": ["Βορράς", "Νότος", "Ανατολή", "Δύση"],
        "team_letters": "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ",
        "segments": ["μεγάλες επιχειρήσεις", "μεσαίες επιχειρήσεις", "μικρές επιχειρήσεις", "δημόσιος τομέας"],
        "industries": ["βιομηχανία", "λιανεμπόριο", "υγεία", "χρηματοοικονομικά", "εφοδιαστική", "φιλοξενία", "εκπαίδευση", "κατασκευές", "δημόσια διοίκηση"],
        "name_prefix": ["Αιγαίο", "Όλυμπος", "Δέλτα", "Κορυφή", "Μεσημβρινός", "Άτλας", "Ωρίων", "Ήλιος", "Ποσειδών", "Αστέρας", "Σύνοδος", "Λιμάνι", "Ημισέληνος", "Πρωτοπόρος", "Κέδρος", "Ασημένιος", "Γαλάζιος", "Πολικός", "Ιόνιο", "Κυκλάδες", "Πίνδος", "Αθηνά", "Νέα", "Ζενίθ", "Φοίνιξ", "Τρίτων", "Λύρα", "Αυγή", "Γρανίτης", "Αειθαλής"],
        "name_core": ["Τρόφιμα", "Μεταφορές", "Κλινικές", "Λιανική", "Τράπεζα", "Ξενοδοχεία", "Κατασκευές", "Μέταλλα", "Φάρμακα", "Υφάσματα", "Ενέργεια", "Μηχανοκίνητα", "Εργαστήρια", "Ναυτιλία", "Μέσα", "Λογισμικό", "Πλαστικά", "Γαλακτοκομικά", "Οινοποιία", "Θαλάσσια"],
        "name_suffix": ["Α.Ε.", "Ε.Π.Ε.", "Όμιλος", "& Σια", "Ι.Κ.Ε."],
        "institutions": ["Δήμος {}", "Περιφέρεια {}", "Πανεπιστήμιο {}", "Γενικό Νοσοκομείο {}", "Οργανισμός Λιμένος {}"],
        "cities": ["Αθηνών", "Θεσσαλονίκης", "Πατρών", "Ηρακλείου", "Λάρισας", "Βόλου", "Ιωαννίνων", "Χανίων", "Καβάλας", "Καλαμάτας", "Σερρών", "Ρόδου", "Κέρκυρας", "Λαμίας", "Ξάνθης", "Δράμας", "Κοζάνης", "Τρικάλων", "Χαλκίδας", "Αγρινίου"],
        "techniques": ["συμβουλευτική", "πώληση λύσεων", "SPIN", "challenger", "με έμφαση στην τιμή"],
        "channels": ["email", "διαδικτυακό σεμινάριο", "έκθεση", "διαφήμιση αναζήτησης", "LinkedIn"],
        "product_course": "{family}: γνώση προϊόντος",
        "courses": [
            ("audience", "Πωλήσεις στον δημόσιο τομέα", 730),
            ("audience", "Κατανοώντας τους μεγάλους πελάτες", 730),
            ("strategy", "Συμβουλευτική πώληση", 730),
            ("strategy", "Σχεδιασμός λογαριασμών", 730),
            ("skills", "Διαπραγμάτευση και τιμολόγηση", 540),
            ("skills", "Κλήσεις διερεύνησης", 540),
            ("skills", "Δεξιότητες παρουσίασης", 730),
        ],
        "comments": {
            "late": ["καθυστέρηση παράδοσης", "ήρθε δύο εβδομάδες αργότερα", "πάλι αργή παράδοση", "δεν τηρήθηκε η ημερομηνία παράδοσης"],
            "product": ["χάλασε μετά από μία εβδομάδα", "σταμάτησε να λειτουργεί σε λίγες μέρες", "ελαττωματικό, το επιστρέψαμε", "κακή ποιότητα κατασκευής"],
            "price": ["πολύ ακριβό", "ο ανταγωνιστής έδωσε καλύτερη τιμή", "η τιμή ανέβηκε πολύ"],
            "service": ["αργή εξυπηρέτηση", "περιμέναμε μέρες για απάντηση", "η υποστήριξη δεν μας ξαναπήρε"],
            "positive": ["εξαιρετική εξυπηρέτηση", "γρήγορη παράδοση", "καλή σχέση ποιότητας-τιμής", "πολύ εξυπηρετικός πωλητής", "λειτουργεί τέλεια"],
            "neutral": ["εντάξει", "όπως αναμενόταν", "γενικά καλά"],
        },
        "market_cut": "μειώσεις τιμών από ανταγωνιστές",
        "market_forecast": "πρόβλεψη",
        "greek_share": 1.0,
    },
}

# fmt: on

_TRANSLIT = dict(
    zip(
        "αάβγδεέζηήθιίϊΐκλμνξοόπρσςτυύϋΰφχψωώ",
        [
            "a",
            "a",
            "v",
            "g",
            "d",
            "e",
            "e",
            "z",
            "i",
            "i",
            "th",
            "i",
            "i",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "x",
            "o",
            "o",
            "p",
            "r",
            "s",
            "s",
            "t",
            "y",
            "y",
            "y",
            "y",
            "f",
            "ch",
            "ps",
            "o",
            "o",
        ],
    )
)

# Lost reasons in contract order: price, product, competitor, timing, no_decision, service, other.
_LOST_REASONS = ("price", "product", "competitor", "timing", "no_decision", "service", "other")
_NORMAL_LOSS = [0.20, 0.07, 0.27, 0.08, 0.28, 0.02, 0.08]
# Why a deal that a planted problem cost was lost, by problem code (see _Builder.deals).
_PROBLEM_LOSS = {
    1: [0.05, 0.80, 0.15, 0.0, 0.0, 0.0, 0.0],  # poor product
    2: [0.85, 0.0, 0.15, 0.0, 0.0, 0.0, 0.0],  # overpriced family
    3: [0.0, 0.0, 0.0, 0.6, 0.0, 0.4, 0.0],  # late deliveries
    4: [0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.4],  # wrong campaign
    5: [0.0, 0.3, 0.5, 0.0, 0.2, 0.0, 0.0],  # training gap
    6: [0.0, 0.0, 0.2, 0.1, 0.7, 0.0, 0.0],  # low activity
}


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class Problems:
    """Which problems to plant, and where.

    For each single-place problem: False = not planted, True = planted where the seed chooses,
    a string = planted there (a product_id, family, department, segment, campaign_id or rep_id
    as they appear in the tables of the chosen language). For groups of reps: None = the seed
    chooses how many (training gap 2-3, top performers 3-4), an int = that many, a tuple = those
    rep_ids. The late-delivery victim is planted only with the late department.

    Example:
        >>> mix = Problems(poor_product=False, overpriced_family="Storage", top_performers=0)
    """

    poor_product: bool | str = True
    overpriced_family: bool | str = True
    late_department: bool | str = True
    poor_service_segment: bool | str = True
    wrong_campaign: bool | str = True
    training_gap: int | tuple[str, ...] | None = None
    low_activity_rep: bool | str = True
    late_delivery_victim: bool | str = True
    top_performers: int | tuple[str, ...] | None = None

    @classmethod
    def none(cls) -> Problems:
        """A healthy organisation: nothing planted."""
        return cls(False, False, False, False, False, 0, False, False, 0)


@dataclass(frozen=True)
class Sample:
    """The sample organisation: contract tables and the ground truth of what was planted."""

    tables: dict[str, pd.DataFrame]
    ground_truth: list[dict] = field(default_factory=list)

    def planted(self, problem: str) -> list[dict]:
        """The ground-truth entries of one problem kind, e.g. `planted("training_gap")`."""
        return [g for g in self.ground_truth if g["problem"] == problem]


def build_sample(
    seed: int = 7,
    scale: float = 1.0,
    lang: str = "en",
    problems: Problems | None = None,
    end: str = DEFAULT_END,
) -> Sample:
    """The sample organisation for a seed, as contract tables plus its ground truth.

    Args:
        seed: the same seed gives the same organisation, byte for byte.
        scale: multiplies reps (about 60 sellers at 1), customers (about 3,000) and volumes
            (about 150,000 order lines).
        lang: "en" or "el": names, products, comments and labels in that language.
        problems: which problems to plant and where; default: all, placed by the seed.
        end: the last day of history; history starts on 1 January two years before.

    Example:
        >>> s = build_sample(seed=3, scale=0.2, problems=Problems(wrong_campaign=False))
        >>> {g["problem"] for g in s.ground_truth} >= {"poor_product", "late_department"}
        True
    """
    if lang not in _TEXT:
        raise ValueError(f"unknown language {lang!r}; the sample speaks {', '.join(_TEXT)}")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    return _Builder(seed, scale, lang, problems or Problems(), end).build()


def write_sample(
    folder,
    seed: int = 7,
    scale: float = 1.0,
    lang: str = "en",
    problems: Problems | None = None,
    fmt: str = "csv",
    end: str = DEFAULT_END,
) -> Sample:
    """Build the sample and write one file per table plus `ground_truth.json` into `folder`."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    sample = build_sample(seed, scale, lang, problems, end)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in sample.tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False, date_format="%Y-%m-%d", encoding="utf-8")
        else:
            frame.to_parquet(path, index=False)
    (folder / "ground_truth.json").write_text(
        json.dumps(sample.ground_truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return sample


# --------------------------------------------------------------------------- helpers


def _ids(prefix: str, n: int, width: int = 3) -> np.ndarray:
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _days(ts) -> int:
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def _dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _workday(days: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Move weekend days to the nearest Friday or Monday, staying within [lo, hi]."""
    wd = _weekday(days)
    moved = days + np.where(wd == 5, -1, np.where(wd == 6, 1, 0))
    return np.clip(moved, lo, hi)


def _categorical(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One index per row of a matrix of cumulative probabilities."""
    u = rng.random(cum.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), cum.shape[1] - 1)


def _translit(text: str) -> str:
    low = text.lower()
    for greek, latin in (("ου", "ou"), ("ού", "ou"), ("ευ", "ev"), ("αυ", "av"), ("γγ", "ng")):
        low = low.replace(greek, latin)
    return "".join(_TRANSLIT.get(ch, ch) for ch in low)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0) + 1
        seen[n] = k
        out.append(n if k == 1 else f"{n} ({k})")
    return out


def _late_share(orders: pd.DataFrame) -> float:
    done = orders.dropna(subset=["delivered_date"]).drop_duplicates("order_id")
    return float((done["delivered_date"] > done["promised_date"]).mean()) if len(done) else 0.0


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """A frame with the contract's column order (columns not given are left out)."""
    order = [c for c in TABLES[table].names if c in columns]
    return pd.DataFrame({c: columns[c] for c in order})


def _nullable_str(values: np.ndarray, mask: np.ndarray) -> pd.Series:
    out = pd.Series(values, dtype="str")
    return out.mask(mask)


# --------------------------------------------------------------------------- the builder


class _Builder:
    """Builds one organisation. Methods run in order; each adds tables or state to self."""

    def __init__(self, seed: int, scale: float, lang: str, problems: Problems, end: str):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.scale = scale
        self.lang = lang
        self.t = _TEXT[lang]
        self.want = problems
        self.end = _days(end)
        end_ts = pd.Timestamp(end)
        self.start = _days(pd.Timestamp(year=end_ts.year - 2, month=1, day=1))
        quarters = pd.period_range(
            pd.Timestamp(year=end_ts.year - 2, month=1, day=1), end_ts, freq="Q"
        )
        self.q_labels = [f"{p.year}-Q{p.quarter}" for p in quarters]
        self.q_start = np.array([_days(p.start_time) for p in quarters])
        self.q_stop = np.minimum(
            np.array([_days(p.end_time) for p in quarters]), self.end
        )  # inclusive
        self.q_len = self.q_stop - self.q_start + 1
        self.q_season = np.array([_SEASON[p.quarter] for p in quarters])
        self.next_quarter = quarters[-1] + 1
        self.tables: dict[str, pd.DataFrame] = {}
        self.truth: list[dict] = []

    def quarter_of(self, days: np.ndarray) -> np.ndarray:
        return np.clip(
            np.searchsorted(self.q_start, days, side="right") - 1, 0, len(self.q_start) - 1
        )

    def build(self) -> Sample:
        self.market()
        self.organisation()
        self.catalogue()
        self.customer_base()
        self.campaign_plan()
        self.choose_problems()
        self.deals()
        self.orders()
        self.service_and_feedback()
        self.activities()
        self.courses_and_training()
        self.targets()
        order = [n for n in TABLES if n in self.tables]
        return Sample({n: self.tables[n] for n in order}, self.truth)

    # ------------------------------------------------------------------ market and volumes

    def market(self) -> None:
        rng = self.rng
        nq = len(self.q_start)
        # Year-on-year market growth per quarter; the company sells about 2 points more each year
        # than the market grows, and baskets grow with inflation (about 3%).
        self.market_growth = np.round(
            0.045 + 0.012 * np.sin(np.arange(nq + 1) / 2.2) + rng.normal(0, 0.008, nq + 1), 3
        )
        level = np.cumprod((1 + self.market_growth[:nq] + 0.02) ** 0.25)
        self.volume = level / level.mean() * self.q_season * (self.q_len / 91.25)

    # ------------------------------------------------------------------ people

    def _people(self, n: int, greek_share: float) -> list[tuple[str, str]]:
        """n distinct (name, email local part) pairs."""
        rng = self.rng
        greek = np.zeros(n, bool)
        greek[rng.permutation(n)[: max(3, round(n * greek_share))]] = True
        names: list[str] = []
        taken: set[str] = set()
        for g in greek:
            for _ in range(50):
                if g:
                    female = rng.random() < 0.45
                    first = rng.choice(_GREEK_FEMALE if female else _GREEK_MALE)
                    last = _GREEK_SURNAMES[rng.integers(len(_GREEK_SURNAMES))][1 if female else 0]
                else:
                    first = rng.choice(_ENGLISH_FIRST)
                    last = rng.choice(_ENGLISH_SURNAMES)
                name = f"{first} {last}"
                if name not in taken:
                    break
            else:
                name = f"{name} {len(names) + 1}"
            taken.add(name)
            names.append(str(name))
        emails, seen = [], set()
        for name in names:
            local = ".".join(_translit(part) for part in name.split(" "))
            while local in seen:
                local += str(len(seen) % 10)
            seen.add(local)
            emails.append(local)
        return list(zip(names, emails))

    def organisation(self) -> None:
        rng, t, scale = self.rng, self.t, self.scale
        n_dept = int(rng.integers(3, 5))
        self.departments = list(t["departments"][:n_dept])
        n_sellers = max(8, round(SELLERS_PER_SCALE * scale))
        n_teams = max(n_dept, round(8 * scale))
        team_dept = np.arange(n_teams) % n_dept
        letters = t["team_letters"]
        teams, per_dept = [], [0] * n_dept
        for d in team_dept:
            k = per_dept[d]
            per_dept[d] += 1
            teams.append(f"{self.departments[d]} {letters[k] if k < len(letters) else k + 1}")
        self.teams, self.team_dept = teams, team_dept

        slot_team = rng.permutation(np.arange(n_sellers) % n_teams)
        self.slot_team = slot_team
        self.slot_dept = team_dept[slot_team]
        self.slot_cap = np.exp(rng.normal(0, 0.22, n_sellers))
        n_support = max(n_dept, round(n_dept * scale))
        n_leave = max(1, round(scale))
        n_reps = n_sellers + n_leave + n_support

        # Rep rows (internal order): incumbent sellers by slot, replacements, support staff.
        span = self.end - self.start
        leave_slots = rng.choice(n_sellers, n_leave, replace=False)
        switch = self.start + (rng.uniform(0.45, 0.7, n_leave) * span).astype(np.int64)
        self.slot_rep = np.arange(n_sellers)
        self.slot_rep2 = np.full(n_sellers, -1)
        self.slot_switch = np.full(n_sellers, np.iinfo(np.int64).max)
        self.slot_rep2[leave_slots] = n_sellers + np.arange(n_leave)
        self.slot_switch[leave_slots] = switch
        self.leave_slots = leave_slots

        team = np.concatenate([slot_team, slot_team[leave_slots], np.zeros(n_support, int)])
        support_dept = np.arange(n_support) % n_dept
        for i, d in enumerate(support_dept):
            choices = np.flatnonzero(team_dept == d)
            team[n_sellers + n_leave + i] = rng.choice(choices)
        role = np.array(["seller"] * (n_sellers + n_leave) + ["support"] * n_support, dtype=object)
        hire = self.start - rng.integers(90, 3650, n_reps)
        hire[n_sellers : n_sellers + n_leave] = switch
        end_day = np.full(n_reps, NAT)
        end_day[leave_slots] = switch - 1
        people = self._people(n_reps + n_teams, t["greek_share"])
        manager_names = [p[0] for p in people[n_reps:]]

        # Ids follow the order of hiring, as a CRM would number them.
        rank = np.empty(n_reps, int)
        rank[np.lexsort((np.arange(n_reps), hire))] = np.arange(n_reps)
        ids = _ids("R", n_reps)[rank]
        self.rep_id = ids
        self.rep_team = team
        self.rep_dept = team_dept[team]
        self.rep_role = role
        self.rep_hire = hire
        self.rep_end = end_day
        self.rep_name = np.array([p[0] for p in people[:n_reps]], dtype=object)
        self.n_sellers, self.n_leave, self.n_support = n_sellers, n_leave, n_support
        self.support_idx = np.arange(n_sellers + n_leave, n_reps)
        self.rep_skill = np.exp(rng.normal(0, 0.08, n_reps))
        tech = rng.dirichlet(np.array([2.0, 1.5, 1.5, 1.5, 1.2]) * 4, n_reps)
        self.rep_tech_cum = np.cumsum(tech, axis=1)

        order = np.argsort(rank)
        emails = np.array([f"{p[1]}@{t['company_domain']}" for p in people[:n_reps]], dtype=object)
        self.tables["reps"] = _frame(
            "reps",
            {
                "rep_id": pd.Series(ids[order], dtype="str"),
                "name": pd.Series(self.rep_name[order], dtype="str"),
                "team": pd.Series(np.array(teams, dtype=object)[team[order]], dtype="str"),
                "department": pd.Series(
                    np.array(self.departments, dtype=object)[self.rep_dept[order]], dtype="str"
                ),
                "role": pd.Series(role[order], dtype="str"),
                "manager": pd.Series(
                    np.array(manager_names, dtype=object)[team[order]], dtype="str"
                ),
                "hire_date": _dates(hire[order]),
                "end_date": _dates(end_day[order]),
                "email": pd.Series(emails[order], dtype="str"),
            },
        )

    def rep_of(self, slot: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The rep holding a seller slot on a day (a leaver's slot passes to the replacement)."""
        later = day >= self.slot_switch[slot]
        return np.where(later, self.slot_rep2[slot], self.slot_rep[slot])

    # ------------------------------------------------------------------ products and customers

    def catalogue(self) -> None:
        rng, lang = self.rng, self.lang
        n_fam = int(rng.integers(3, 5))
        fams = np.sort(rng.choice(len(_FAMILIES), n_fam, replace=False))
        per = 4 if n_fam == 3 else 3
        rows = []
        for f_new, f in enumerate(fams):
            en, el, lead, cost, items = _FAMILIES[f]
            keep = np.sort(rng.choice(len(items), per, replace=False))
            for k in keep:
                p_en, p_el, price = items[k]
                rows.append(
                    (
                        f_new,
                        f,
                        en if lang == "en" else el,
                        p_en if lang == "en" else p_el,
                        price,
                        lead,
                        cost,
                    )
                )
        self.family_names = [(_FAMILIES[f][0] if lang == "en" else _FAMILIES[f][1]) for f in fams]
        self.family_fit = _SEGMENT_FIT[:, fams]
        n = len(rows)
        self.prod_family = np.array([r[0] for r in rows])
        self.prod_price = np.array([r[4] for r in rows])
        self.prod_lead = np.array([r[5] for r in rows])
        cost = np.array([r[6] for r in rows]) * rng.uniform(0.9, 1.1, n)
        self.prod_id = _ids("P", n, 2)
        self.prod_pop = rng.uniform(0.5, 1.5, n)
        # Within-family cumulative popularity, padded so every family has `per` columns.
        self.fam_products = np.array([np.flatnonzero(self.prod_family == f) for f in range(n_fam)])
        pop = self.prod_pop[self.fam_products]
        self.fam_prod_cum = np.cumsum(pop / pop.sum(axis=1, keepdims=True), axis=1)
        self.tables["products"] = _frame(
            "products",
            {
                "product_id": pd.Series(self.prod_id, dtype="str"),
                "name": pd.Series([r[3] for r in rows], dtype="str"),
                "family": pd.Series([r[2] for r in rows], dtype="str"),
                "list_price": self.prod_price,
                "unit_cost": np.round(self.prod_price * cost, 2),
            },
        )

    def price_on(self, product: np.ndarray, day: np.ndarray) -> np.ndarray:
        """List price on a day: the catalogue price rises 3% every January."""
        end_year = 1970 + int(np.datetime64(self.end, "D").astype("datetime64[Y]").astype(int))
        years = day.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        return np.round(self.prod_price[product] * 1.03 ** (years - end_year), 2)

    def draw_products(self, cust: np.ndarray) -> np.ndarray:
        fam = _categorical(self.rng, self.cust_fam_cum[cust])
        k = _categorical(self.rng, self.fam_prod_cum[fam])
        return self.fam_products[fam, k]

    def customer_base(self) -> None:
        rng, t = self.rng, self.t
        n = max(len(self.slot_cap) * 5, round(CUSTOMERS_PER_SCALE * self.scale))
        n_slots = len(self.slot_cap)
        slot = np.concatenate(
            [
                np.arange(n_slots),
                rng.choice(n_slots, n - n_slots, p=self.slot_cap / self.slot_cap.sum()),
            ]
        )
        slot = rng.permutation(slot)
        seg = rng.choice(4, n, p=_SEGMENT_SHARE)
        self.cust_slot, self.cust_seg = slot, seg
        self.cust_dept = self.slot_dept[slot]
        prefs = rng.gamma(self.family_fit[seg])
        prefs /= prefs.sum(axis=1, keepdims=True)
        self.cust_fam_cum = np.cumsum(prefs, axis=1)
        self.cust_rate = _SEGMENT_ORDER_RATE[seg] * np.exp(rng.normal(0, 0.4, n))
        self.cust_discount = np.clip(_SEGMENT_DISCOUNT[seg] + rng.normal(0, 0.02, n), 0, 0.3)
        # Books: customers grouped by the seller slot that owns them.
        self.book = np.argsort(slot, kind="stable")
        counts = np.bincount(slot, minlength=n_slots)
        self.book_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.book_size = counts

        industries = t["industries"]
        industry = rng.choice(8, n)
        public = seg == 3
        industry[public] = rng.choice([8, 6, 2], public.sum(), p=[0.6, 0.2, 0.2])
        prefix, core, suffix = t["name_prefix"], t["name_core"], t["name_suffix"]
        names = [
            f"{prefix[a]} {core[b]} {suffix[c]}"
            for a, b, c in zip(
                rng.integers(len(prefix), size=n),
                rng.integers(len(core), size=n),
                rng.integers(len(suffix), size=n),
            )
        ]
        inst = rng.integers(len(t["institutions"]), size=n)
        city = rng.integers(len(t["cities"]), size=n)
        for i in np.flatnonzero(public):
            names[i] = t["institutions"][inst[i]].format(t["cities"][city[i]])
        self.cust_id = _ids("C", n, 5)
        self.tables["customers"] = _frame(
            "customers",
            {
                "customer_id": pd.Series(self.cust_id, dtype="str"),
                "name": pd.Series(_dedupe(names), dtype="str"),
                "segment": pd.Series(np.array(t["segments"], dtype=object)[seg], dtype="str"),
                "region": pd.Series(
                    np.array(self.departments, dtype=object)[self.cust_dept], dtype="str"
                ),
                "industry": pd.Series(np.array(industries, dtype=object)[industry], dtype="str"),
            },
        )

    def campaign_plan(self) -> None:
        rng, t = self.rng, self.t
        starts, day = [], self.start + int(rng.integers(10, 40))
        while day < self.end - 45:
            starts.append(day)
            day += int(rng.integers(55, 90))
        n = len(starts)
        self.camp_start = np.array(starts)
        self.camp_stop = np.minimum(self.camp_start + rng.integers(28, 70, n), self.end)
        self.camp_seg = rng.choice(4, n, p=[0.3, 0.35, 0.2, 0.15])
        self.camp_channel = rng.integers(len(t["channels"]), size=n)
        self.camp_spend = np.round(rng.uniform(8000, 40000, n) * self.scale, -2)
        self.camp_id = _ids("CMP", n, 2)

    # ------------------------------------------------------------------ planted problems

    def _quarter_start_label(self, back: int) -> tuple[int, str]:
        q = len(self.q_start) - back
        return int(self.q_start[q]), self.q_labels[q]

    def _pick(self, want, pool: np.ndarray, labels, what: str):
        """Index chosen for a single-place problem: the seed's choice, or the one asked for."""
        if want is False or want is None:
            return None
        if want is True:
            return int(self.rng.choice(pool))
        matches = [i for i, v in enumerate(labels) if v == want]
        if not matches:
            raise ValueError(
                f"Problems: no {what} {want!r} in this sample; known: {', '.join(map(str, labels))}"
            )
        return matches[0]

    def choose_problems(self) -> None:
        rng, w = self.rng, self.want
        n_fam = len(self.family_names)
        recent = lambda: self._quarter_start_label(int(rng.integers(3, 5)))  # noqa: E731
        self.p_from = {}
        # Products and families: keep the product, price and training problems apart.
        fam_order = list(rng.permutation(n_fam))
        self.poor_product = self._pick(
            w.poor_product,
            np.flatnonzero(self.prod_family == fam_order[0]),
            list(self.prod_id),
            "product",
        )
        used = (
            {int(self.prod_family[self.poor_product])} if self.poor_product is not None else set()
        )
        free = [f for f in fam_order if f not in used] or fam_order
        self.over_family = self._pick(
            w.overpriced_family, np.array(free[:1]), self.family_names, "family"
        )
        if self.over_family is not None:
            used.add(self.over_family)
        free = [f for f in fam_order if f not in used] or fam_order
        self.gap_family = int(free[0])
        self.late_dept = self._pick(
            w.late_department, np.arange(len(self.departments)), self.departments, "department"
        )
        self.svc_seg = self._pick(
            w.poor_service_segment, np.arange(4), self.t["segments"], "segment"
        )
        for key in (
            "poor_product",
            "overpriced_family",
            "late_department",
            "poor_service_segment",
            "low_activity",
        ):
            self.p_from[key] = recent()

        self.bad_campaign = None
        if w.wrong_campaign is not False:
            # A recent campaign whose leads have had time to close.
            eligible = np.flatnonzero(
                (self.camp_start >= self.end - 400) & (self.camp_stop <= self.end - 75)
            )
            if len(eligible) == 0:
                eligible = np.array([len(self.camp_start) // 2])
            self.bad_campaign = self._pick(
                w.wrong_campaign, eligible, list(self.camp_id), "campaign"
            )
            self.p_from["wrong_campaign"] = (
                int(self.q_start[self.quarter_of(self.camp_start[[self.bad_campaign]])[0]]),
                self.q_labels[self.quarter_of(self.camp_start[[self.bad_campaign]])[0]],
            )
            # Aimed at a segment that rarely buys what it promoted; its leads come from there.
            self.camp_seg[self.bad_campaign] = int(rng.choice([0, 3]))

        # Reps: incumbents that hold their slot for the whole history.
        steady = np.setdiff1d(np.arange(self.n_sellers), self.leave_slots)
        taken: set[int] = set()
        in_late = self.rep_dept[steady] == (self.late_dept if self.late_dept is not None else -1)

        def reps(want, default_count: tuple[int, int], prefer_outside_late: bool) -> list[int]:
            if isinstance(want, tuple):
                idx = []
                for rid in want:
                    hits = np.flatnonzero(self.rep_id == rid)
                    if len(hits) == 0 or hits[0] >= self.n_sellers:
                        raise ValueError(f"Problems: {rid!r} is not a seller of this sample")
                    idx.append(int(hits[0]))
                taken.update(idx)
                return idx
            count = int(rng.integers(*default_count)) if want is None else int(want)
            pool = [i for i in steady[~in_late] if i not in taken] if prefer_outside_late else []
            if len(pool) < count:
                pool = [i for i in steady if i not in taken]
            chosen = [int(i) for i in rng.choice(pool, min(count, len(pool)), replace=False)]
            taken.update(chosen)
            return chosen

        self.gap_reps = reps(w.training_gap, (2, 4), True)
        low = w.low_activity_rep
        chosen = reps((low,) if isinstance(low, str) else 1, (1, 2), True) if low else []
        self.low_rep = chosen[0] if chosen else None
        self.tops = reps(w.top_performers, (3, 5), True)
        # The victim is picked once deals exist (see deals), among typical sellers of the department.
        self.victim, self.victim_pool = None, np.array([], dtype=int)
        if w.late_delivery_victim and self.late_dept is not None:
            if isinstance(w.late_delivery_victim, str):
                self.victim = reps((w.late_delivery_victim,), (1, 2), False)[0]
                if self.rep_dept[self.victim] != self.late_dept:
                    raise ValueError(
                        "Problems: the late-delivery victim must work in the late department"
                    )
            else:
                self.victim_pool = np.array(
                    [i for i in steady[in_late] if i not in taken], dtype=int
                )
        elif isinstance(w.late_delivery_victim, str):
            raise ValueError("Problems: a late-delivery victim needs the late department planted")

        n_reps = len(self.rep_id)
        self.is_gap = np.zeros(n_reps, bool)
        self.is_gap[self.gap_reps] = True
        self.is_top = np.zeros(n_reps, bool)
        self.is_top[self.tops] = True
        # Top performers are more skilled and favour the techniques that win.
        self.rep_skill[self.tops] = np.maximum(self.rep_skill[self.tops], 1.0) * 1.25
        best = np.cumsum([0.5, 0.25, 0.15, 0.08, 0.02])
        self.rep_tech_cum[self.tops] = (self.rep_tech_cum[self.tops] + best) / 2
        self.start_day = {k: v[0] for k, v in self.p_from.items()}
        big = np.iinfo(np.int64).max
        self.day_poor = (
            self.start_day.get("poor_product", big) if self.poor_product is not None else big
        )
        self.day_over = self.start_day["overpriced_family"] if self.over_family is not None else big
        self.day_late = self.start_day["late_department"] if self.late_dept is not None else big
        self.day_svc = self.start_day["poor_service_segment"] if self.svc_seg is not None else big
        self.day_low = self.start_day["low_activity"] if self.low_rep is not None else big

    # ------------------------------------------------------------------ deals

    def activity_mult(self, rep: np.ndarray, day: np.ndarray) -> np.ndarray:
        m = np.where(self.is_top[rep], 1.3, 1.0)
        if self.low_rep is not None:
            m = np.where((rep == self.low_rep) & (day >= self.day_low), 0.4, m)
        return m

    def deals(self) -> None:
        rng = self.rng
        n_slots, nq = len(self.slot_cap), len(self.q_start)
        slot_mult = np.ones((n_slots, nq))
        slot_mult[self.tops] = 1.15
        if self.low_rep is not None:
            slot_mult[self.low_rep, self.q_start >= self.day_low] = 0.6
        lam = self.slot_cap[:, None] * self.volume[None, :] * slot_mult
        lam *= DEALS_PER_SCALE * self.scale / lam.sum()
        counts = rng.poisson(lam)
        slot = np.repeat(np.repeat(np.arange(n_slots), nq), counts.ravel())
        q = np.repeat(np.tile(np.arange(nq), n_slots), counts.ravel())
        day = self.q_start[q] + (rng.random(len(q)) * self.q_len[q]).astype(np.int64)
        # The pipeline is already full on day one: deals opened in the year before the
        # history that close inside it are kept (those that closed earlier are dropped below).
        first = pd.Period(self.q_labels[0].replace("-", ""), freq="Q")
        before = np.mean([_SEASON[(first - k).quarter] for k in (1, 2, 3, 4)]) / self.q_season[0]
        pre = rng.poisson(lam[:, 0] * before * _PRE_DAYS / self.q_len[0] / 1.06)
        slot = np.concatenate([np.repeat(np.arange(n_slots), pre), slot])
        day = np.concatenate([self.start - 1 - rng.integers(0, _PRE_DAYS, pre.sum()), day])
        day = _workday(day, self.start - _PRE_DAYS, self.end)
        cust = self.book[
            self.book_start[slot] + (rng.random(len(slot)) * self.book_size[slot]).astype(np.int64)
        ]
        source = rng.choice(3, len(slot), p=[0.2, 0.3, 0.5])

        # Campaign leads: customers of the targeted segment, during the campaign.
        c_slot, c_day, c_cust, c_src = [slot], [day], [cust], [source]
        for c in range(len(self.camp_id)):
            members = np.flatnonzero(self.cust_seg == self.camp_seg[c])
            k = rng.poisson(self.camp_spend[c] / (110 if c == self.bad_campaign else 160))
            cc = rng.choice(members, k)
            c_cust.append(cc)
            c_slot.append(self.cust_slot[cc])
            d = rng.integers(self.camp_start[c], self.camp_stop[c] + 1, k)
            c_day.append(_workday(d, self.start, self.end))
            c_src.append(np.full(k, 3 + c))
        slot, day, cust, source = (np.concatenate(x) for x in (c_slot, c_day, c_cust, c_src))
        rep = self.rep_of(slot, day)
        # A replacement ramps up: fewer deals in the first three months.
        ramp = np.isin(rep, self.slot_rep2[self.leave_slots]) & (day < self.rep_hire[rep] + 90)
        keep = ~(ramp & (rng.random(len(rep)) < 0.4))
        # Leads come in date order, as a CRM numbers them.
        order = np.lexsort((rng.random(keep.sum()), day[keep]))
        slot, day, cust, source, rep = (x[keep][order] for x in (slot, day, cust, source, rep))
        seg = self.cust_seg[cust]
        cycle = 1 + rng.gamma(2.0, _SEGMENT_CYCLE_DAYS[seg] / 2.0).astype(np.int64)
        close = day + cycle
        close = np.where(close > self.end, close, _workday(close, day, self.end + 10**6))
        inside = close >= self.start
        slot, day, cust, source, rep, seg, close = (
            x[inside] for x in (slot, day, cust, source, rep, seg, close)
        )
        n = len(day)
        product = self.draw_products(cust)
        fam = self.prod_family[product]
        tech = _categorical(rng, self.rep_tech_cum[rep])
        dept = self.rep_dept[rep]

        # Support staff join bigger, technical deals from their own department.
        p_sup = 0.12 + 0.18 * (seg == 0) + 0.08 * (seg == 3) + 0.1 * (self.prod_lead[product] >= 14)
        sup_flag = rng.random(n) < p_sup
        sup_by_dept = [
            self.support_idx[self.rep_dept[self.support_idx] == d]
            for d in range(len(self.departments))
        ]
        support = np.full(n, -1)
        for d, members in enumerate(sup_by_dept):
            m = sup_flag & (dept == d)
            if len(members):
                support[m] = rng.choice(members, m.sum())

        # Deal-linked activities: more touches, better odds.
        touches = rng.poisson(4.0 * self.activity_mult(rep, day))
        src_win = np.where(source < 3, _SOURCE_WIN[np.minimum(source, 2)], 0.95)
        p = (
            0.36
            * self.rep_skill[rep]
            * _TECHNIQUE_WIN[tech]
            * src_win
            * _SEGMENT_WIN[seg]
            * np.where(support >= 0, 1.15, 1.0)
            * (0.8 + 0.05 * np.minimum(touches, 8))
        )
        p = np.minimum(p, 0.85)

        open_ = close > self.end
        # Quote lines: the deal's product first, then others of the same family or any.
        n_lines = np.minimum(1 + rng.poisson(0.9, n), 5)
        deal_of_line = np.repeat(np.arange(n), n_lines)
        first = np.r_[0, np.cumsum(n_lines)[:-1]]
        line_no = np.arange(len(deal_of_line)) - first[deal_of_line] + 1
        line_prod = self.draw_products(cust[deal_of_line])
        same = rng.random(len(line_prod)) < 0.5
        same_fam_prod = self.fam_products[
            fam[deal_of_line], rng.integers(self.fam_products.shape[1], size=len(line_prod))
        ]
        line_prod = np.where(same, same_fam_prod, line_prod)
        line_prod[first] = product
        budget = _SEGMENT_DEAL_BUDGET[seg] * np.exp(rng.normal(0, 0.6, n)) * self.volume_level(day)
        line_budget = (
            budget[deal_of_line]
            / n_lines[deal_of_line]
            * np.exp(rng.normal(0, 0.3, len(line_prod)))
        )
        line_budget[first] *= 1.6
        price_day = np.where(open_, day, close)
        list_price = self.price_on(line_prod, price_day[deal_of_line])
        qty = np.maximum(1, np.round(line_budget / list_price)).astype(np.int64)
        disc = _SEGMENT_DISCOUNT[seg] + rng.normal(0, 0.03, n) - 0.01 * self.is_top[rep]
        if self.over_family is not None:
            disc += 0.07 * ((fam == self.over_family) & (price_day >= self.day_over))
        disc = np.round(np.clip(disc, 0, 0.35), 3)
        unit_price = np.round(list_price * (1 - disc[deal_of_line]), 2)
        amount = np.round(np.bincount(deal_of_line, qty * unit_price, minlength=n), 2)

        if len(self.victim_pool):
            self.victim = self.typical(self.victim_pool, rep, amount)

        # Planted problems: a multiplier on the odds and the code of the reason it cost.
        m = np.ones(n)
        code = np.zeros(n, int)

        def hit(mask, factor, c, force=False):
            nonlocal m, code
            # The strongest problem names the reason, unless this one is the story (force).
            stronger = mask & (factor < 1) & ((code == 0) | (factor < m) | force)
            code = np.where(stronger, c, code)
            m = np.where(mask, m * factor, m)

        if self.poor_product is not None:
            hit((product == self.poor_product) & (close >= self.day_poor), 0.5, 1)
        if self.over_family is not None:
            hit((fam == self.over_family) & (close >= self.day_over), 0.6, 2)
        if self.late_dept is not None:
            hit((dept == self.late_dept) & (close >= self.day_late), 0.95, 3)
            if self.victim is not None:
                hit((rep == self.victim) & (close >= self.day_late), 0.75, 3, force=True)
        if self.bad_campaign is not None:
            hit(source == 3 + self.bad_campaign, 0.22, 4)
        if self.gap_reps:
            hit(self.is_gap[rep] & (fam == self.gap_family), 0.25, 5, force=True)
        if self.low_rep is not None:
            hit((rep == self.low_rep) & (day >= self.day_low), 0.4, 6, force=True)

        u = rng.random(n)
        won = ~open_ & (u < p * m)
        problem_loss = ~open_ & ~won & (u < p) & (code > 0)
        probs = np.array([_NORMAL_LOSS] + [_PROBLEM_LOSS[k] for k in range(1, 7)])
        reason = _categorical(rng, np.cumsum(probs, axis=1)[np.where(problem_loss, code, 0)])
        lost = ~open_ & ~won
        stage = np.where(won, "won", np.where(lost, "lost", "open"))
        # Leads of a deal lost to a reassignment keep the holder on the close date.
        rep = np.where(open_, rep, self.rep_of(slot, np.minimum(close, self.end)))

        self.d = dict(
            n=n,
            rep=rep,
            slot=slot,
            day=day,
            close=close,
            cust=cust,
            product=product,
            source=source,
            won=won,
            lost=lost,
            open=open_,
            support=support,
            touches=touches,
            seg=seg,
            amount=amount,
        )
        self.quote = dict(
            deal=deal_of_line,
            line=line_no,
            product=line_prod,
            qty=qty,
            list=list_price,
            disc=disc[deal_of_line],
            price=unit_price,
        )
        self.deal_id = _ids("D", n, 6)
        source_text = np.array(list(_SOURCES) + list(self.camp_id), dtype=object)[source]
        reasons = np.array(_LOST_REASONS, dtype=object)[reason]
        self.tables["deals"] = _frame(
            "deals",
            {
                "deal_id": pd.Series(self.deal_id, dtype="str"),
                "rep_id": pd.Series(self.rep_id[rep], dtype="str"),
                "stage": pd.Series(stage, dtype="str"),
                "created_date": _dates(day),
                "close_date": _dates(np.where(open_, NAT, close)),
                "amount": amount,
                "customer_id": pd.Series(self.cust_id[cust], dtype="str"),
                "product_id": pd.Series(self.prod_id[product], dtype="str"),
                "lost_reason": _nullable_str(reasons, ~lost),
                "technique": pd.Series(
                    np.array(self.t["techniques"], dtype=object)[tech], dtype="str"
                ),
                "lead_source": pd.Series(source_text, dtype="str"),
                "support_rep_id": _nullable_str(self.rep_id[np.maximum(support, 0)], support < 0),
            },
        )

    def typical(self, pool: np.ndarray, rep: np.ndarray, amount: np.ndarray) -> int:
        """A seller of the pool whose deal count and deal size sit near the company's medians."""
        sellers = np.setdiff1d(np.arange(self.n_sellers), self.leave_slots)
        counts = np.bincount(rep, minlength=len(self.rep_id)).astype(float)
        order = np.argsort(rep, kind="stable")
        bounds = np.r_[0, np.cumsum(counts.astype(int))]
        sizes = np.array(
            [
                np.median(amount[order[bounds[i] : bounds[i + 1]]]) if counts[i] else 0.0
                for i in range(len(counts))
            ]
        )
        score = np.maximum(
            np.abs(np.log((counts + 1) / np.median(counts[sellers] + 1))),
            np.abs(np.log((sizes + 1) / np.median(sizes[sellers] + 1))),
        )
        near = pool[np.argsort(score[pool], kind="stable")[: max(1, len(pool) // 4)]]
        return int(self.rng.choice(near))

    def volume_level(self, day: np.ndarray) -> np.ndarray:
        """Inflation of the size of a purchase."""
        years = (day - self.start) / 365.25
        return 1.03**years

    # ------------------------------------------------------------------ orders

    def orders(self) -> None:
        rng, d, qt = self.rng, self.d, self.quote
        n_cust, nq = len(self.cust_slot), len(self.q_start)

        # Orders from won deals: the quote lines, ordered on the close date.
        won_deals = np.flatnonzero(d["won"])
        wl = np.isin(qt["deal"], won_deals)
        w_deal = qt["deal"][wl]
        w = dict(
            deal=w_deal,
            product=qt["product"][wl],
            qty=qt["qty"][wl],
            list=qt["list"][wl],
            disc=qt["disc"][wl],
            cust=d["cust"][w_deal],
            rep=d["rep"][w_deal],
            day=d["close"][w_deal],
        )

        # Repeat orders: each customer orders at its own rate, seasonally, growing.
        rep_mult = np.ones((len(self.slot_cap), nq))
        rep_mult[self.tops] = 1.25
        if self.low_rep is not None:
            rep_mult[self.low_rep, self.q_start >= self.day_low] = 0.8
        rate = self.cust_rate[:, None] * self.volume[None, :] * rep_mult[self.cust_slot]
        mean_lines = 1 + 1.7
        target_lines = LINES_PER_SCALE * self.scale - len(w_deal)
        rate *= max(target_lines, 1000) / (rate.sum() * mean_lines)
        counts = rng.poisson(rate)
        o_cust = np.repeat(np.repeat(np.arange(n_cust), nq), counts.ravel())
        o_q = np.repeat(np.tile(np.arange(nq), n_cust), counts.ravel())
        o_day = _workday(
            self.q_start[o_q] + (rng.random(len(o_q)) * self.q_len[o_q]).astype(np.int64),
            self.start,
            self.end,
        )
        o_rep = self.rep_of(self.cust_slot[o_cust], o_day)
        n_lines = np.minimum(1 + rng.poisson(1.7, len(o_cust)), 8)
        lo = np.repeat(np.arange(len(o_cust)), n_lines)
        l_cust = o_cust[lo]
        l_prod = self.draw_products(l_cust)
        l_day = o_day[lo]
        l_list = self.price_on(l_prod, l_day)
        budget = (
            _SEGMENT_LINE_BUDGET[self.cust_seg[l_cust]]
            * np.exp(rng.normal(0, 0.5, len(lo)))
            * self.volume_level(l_day)
        )
        l_qty = np.maximum(1, np.round(budget / l_list)).astype(np.int64)
        l_disc = self.cust_discount[l_cust] + rng.normal(0, 0.01, len(lo))
        l_fam = self.prod_family[l_prod]
        l_rep = o_rep[lo]
        if self.over_family is not None:
            l_disc += 0.05 * ((l_fam == self.over_family) & (l_day >= self.day_over))
        l_disc = np.round(np.clip(l_disc, 0, 0.35), 3)
        # Planted problems thin out the repeat business they cost.
        drop = np.zeros(len(lo))
        drop = np.maximum(drop, 0.55 * (self.is_gap[l_rep] & (l_fam == self.gap_family)))
        if self.poor_product is not None:
            drop = np.maximum(
                drop, 0.25 * ((l_prod == self.poor_product) & (l_day >= self.day_poor))
            )
        if self.over_family is not None:
            drop = np.maximum(drop, 0.1 * ((l_fam == self.over_family) & (l_day >= self.day_over)))
        if self.low_rep is not None:
            drop = np.maximum(drop, 0.2 * ((l_rep == self.low_rep) & (l_day >= self.day_low)))
        keep = rng.random(len(lo)) >= drop
        r = dict(
            deal=np.full(keep.sum(), -1),
            product=l_prod[keep],
            qty=l_qty[keep],
            list=l_list[keep],
            disc=l_disc[keep],
            cust=l_cust[keep],
            rep=l_rep[keep],
            day=l_day[keep],
        )
        r_order = lo[keep]

        # All lines, one order per won deal and per repeat order, numbered by date.
        key = np.concatenate([w["deal"], len(d["won"]) + r_order])
        L = {k: np.concatenate([w[k], r[k]]) for k in w}
        order = np.lexsort((key, L["day"]))
        L = {k: v[order] for k, v in L.items()}
        key = key[order]
        new = np.r_[True, key[1:] != key[:-1]]
        # Lines of one order are contiguous only if no other order shares its day and key order.
        o_index = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        line = np.arange(len(key)) - first[o_index] + 1
        n_orders = len(first)

        # Delivery: promised by the slowest line; late more often in the planted department.
        lead = self.prod_lead[L["product"]]
        o_lead = np.maximum.reduceat(lead, first)
        o_day = L["day"][first]
        o_rep = L["rep"][first]
        o_dept = self.rep_dept[o_rep]
        promised = o_day + o_lead + 1
        p_late = np.full(n_orders, 0.07)
        late_dept = np.zeros(n_orders, bool)
        victim = np.zeros(n_orders, bool)
        if self.late_dept is not None:
            late_dept = (o_dept == self.late_dept) & (o_day >= self.day_late)
            p_late = np.where(late_dept, 0.42, p_late)
            if self.victim is not None:
                victim = (o_rep == self.victim) & (o_day >= self.day_late)
                p_late = np.where(victim, 0.62, p_late)
        late = rng.random(n_orders) < p_late
        late_by = np.where(
            late_dept, 5 + rng.gamma(2.0, 5.0, n_orders), 1 + rng.gamma(1.5, 3.0, n_orders)
        ).astype(np.int64)
        transit = rng.integers(1, 4, n_orders)
        on_time_delivery = o_day + np.maximum(
            1, (o_lead * rng.uniform(0.5, 1.0, n_orders)).astype(np.int64)
        )
        delivered = np.where(late, promised + late_by, np.minimum(on_time_delivery, promised))
        shipped = np.maximum(o_day, delivered - transit)
        delivered = np.maximum(delivered, shipped)

        p_cancel = 0.012 + np.where(late, np.where(victim, 0.3, np.where(late_dept, 0.1, 0.05)), 0)
        cancelled = (rng.random(n_orders) < p_cancel) & (promised <= self.end)
        o_status = np.where(
            shipped > self.end, 0, np.where(delivered > self.end, 1, 2)
        )  # open, shipped, delivered
        cancelled &= o_status > 0  # a still-pending order has not been cancelled yet
        l_o = o_index
        l_status = o_status[l_o].copy()
        l_cancel = cancelled[l_o]
        p_return = np.full(len(key), 0.02) + np.where(
            late[l_o], np.where(victim[l_o], 0.12, 0.02), 0
        )
        if self.poor_product is not None:
            p_return = np.where(
                (L["product"] == self.poor_product) & (L["day"] >= self.day_poor), 0.17, p_return
            )
        returned = (
            (rng.random(len(key)) < p_return)
            & (l_status == 2)
            & (delivered[l_o] + 10 <= self.end)
            & ~l_cancel
        )
        status = np.array(["open", "shipped", "delivered", "cancelled", "returned"], dtype=object)[
            np.where(l_cancel, 3, np.where(returned, 4, l_status))
        ]
        l_ship = np.where(l_cancel | (l_status == 0), NAT, shipped[l_o])
        l_deliv = np.where(l_cancel | (l_status < 2), NAT, delivered[l_o])
        unit_price = np.round(L["list"] * (1 - L["disc"]), 2)

        self.o = dict(
            n=n_orders,
            first=first,
            day=o_day,
            rep=o_rep,
            cust=L["cust"][first],
            product=L["product"][first],
            late=late & ~cancelled & (o_status == 2),
            late_by=late_by,
            delivered=delivered,
            status=o_status,
            cancelled=cancelled,
            deal=L["deal"][first],
            promised=promised,
        )
        self.l = dict(
            order=l_o,
            product=L["product"],
            returned=returned,
            cancelled=l_cancel,
            rep=L["rep"],
            day=L["day"],
            delivered=l_deliv,
            cust=L["cust"],
            revenue=np.where(l_cancel | returned, 0.0, L["qty"] * unit_price),
        )
        self.order_id = _ids("O", n_orders, 7)
        deal = L["deal"]
        self.tables["orders"] = _frame(
            "orders",
            {
                "order_id": pd.Series(self.order_id[l_o], dtype="str"),
                "line": line,
                "rep_id": pd.Series(self.rep_id[L["rep"]], dtype="str"),
                "product_id": pd.Series(self.prod_id[L["product"]], dtype="str"),
                "order_date": _dates(L["day"]),
                "quantity": L["qty"],
                "unit_price": unit_price,
                "customer_id": pd.Series(self.cust_id[L["cust"]], dtype="str"),
                "unit_list_price": L["list"],
                "discount": L["disc"],
                "promised_date": _dates(promised[l_o]),
                "shipped_date": _dates(l_ship),
                "delivered_date": _dates(l_deliv),
                "status": pd.Series(status, dtype="str"),
                "deal_id": _nullable_str(self.deal_id[np.maximum(deal, 0)], deal < 0),
            },
        )

    # ------------------------------------------------------------------ service and feedback

    def service_and_feedback(self) -> None:
        rng, o, ln, t = self.rng, self.o, self.l, self.t
        svc_seg = self.svc_seg if self.svc_seg is not None else -1
        # Returns: one case per returned line.
        ret = np.flatnonzero(ln["returned"])
        parts = [
            dict(
                kind=np.full(len(ret), 2),
                order=ln["order"][ret],
                product=ln["product"][ret],
                day=o["delivered"][ln["order"][ret]] + rng.integers(2, 10, len(ret)),
            )
        ]
        # Complaints: late orders, and lines of the poor product once it went bad.
        delivered = o["status"] == 2
        p_comp = 0.02 + 0.15 * o["late"]
        comp = np.flatnonzero(delivered & ~o["cancelled"] & (rng.random(o["n"]) < p_comp))
        parts.append(
            dict(
                kind=np.full(len(comp), 1),
                order=comp,
                product=o["product"][comp],
                day=o["delivered"][comp] + rng.integers(0, 6, len(comp)),
            )
        )
        if self.poor_product is not None:
            bad = np.flatnonzero(
                (ln["product"] == self.poor_product)
                & (ln["day"] >= self.day_poor)
                & (ln["delivered"] != NAT)
                & ~ln["returned"]
                & (rng.random(len(ln["product"])) < 0.12)
            )
            parts.append(
                dict(
                    kind=np.full(len(bad), 1),
                    order=ln["order"][bad],
                    product=ln["product"][bad],
                    day=o["delivered"][ln["order"][bad]] + rng.integers(3, 20, len(bad)),
                )
            )
        # Follow-ups after orders from won deals; questions from anyone.
        fu = np.flatnonzero(
            delivered & (o["deal"] >= 0) & ~o["cancelled"] & (rng.random(o["n"]) < 0.5)
        )
        parts.append(
            dict(
                kind=np.full(len(fu), 0),
                order=fu,
                product=o["product"][fu],
                day=o["delivered"][fu] + rng.integers(10, 30, len(fu)),
            )
        )
        qs = np.flatnonzero(rng.random(o["n"]) < 0.06)
        parts.append(
            dict(
                kind=np.full(len(qs), 3),
                order=qs,
                product=o["product"][qs],
                day=o["day"][qs] + rng.integers(1, 40, len(qs)),
            )
        )
        c = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        keep = c["day"] <= self.end
        c = {k: v[keep] for k, v in c.items()}
        c["day"] = _workday(c["day"], self.start, self.end)
        c = {k: v[np.lexsort((c["order"], c["day"]))] for k, v in c.items()}
        n = len(c["day"])
        cust = o["cust"][c["order"]]
        seg = self.cust_seg[cust]
        poor = (seg == svc_seg) & (c["day"] >= self.day_svc)
        mean_days = np.array([1.0, 5.0, 7.0, 2.0])[c["kind"]]
        days_open = rng.gamma(1.5, mean_days / 1.5)
        days_open = np.where(poor, days_open * 3.5 + 4, days_open).astype(np.int64)
        closed = c["day"] + days_open
        is_closed = closed <= self.end
        base = np.array([4.5, 3.4, 3.6, 4.4])[c["kind"]]
        late_order = o["late"][c["order"]]
        score = (
            base
            - 0.06 * np.minimum(days_open, 20)
            - 0.9 * poor
            - 0.4 * late_order
            + rng.normal(0, 0.7, n)
        )
        csat = np.clip(np.round(score), 1, 5)
        answered = is_closed & (rng.random(n) < 0.65)
        kinds = np.array(["follow_up", "complaint", "return", "question"], dtype=object)
        self.tables["service"] = _frame(
            "service",
            {
                "case_id": pd.Series(_ids("SC", n, 6), dtype="str"),
                "customer_id": pd.Series(self.cust_id[cust], dtype="str"),
                "opened_date": _dates(c["day"]),
                "kind": pd.Series(kinds[c["kind"]], dtype="str"),
                "closed_date": _dates(np.where(is_closed, closed, NAT)),
                "order_id": pd.Series(self.order_id[c["order"]], dtype="str"),
                "rep_id": pd.Series(self.rep_id[o["rep"][c["order"]]], dtype="str"),
                "product_id": pd.Series(self.prod_id[c["product"]], dtype="str"),
                "csat": pd.array(np.where(answered, csat, np.nan), dtype="Int64"),
            },
        )

        # Feedback: a survey after delivery on about one order in eight.
        f = np.flatnonzero((o["status"] == 2) & ~o["cancelled"] & (rng.random(o["n"]) < 0.12))
        f_day = o["delivered"][f] + rng.integers(5, 25, len(f))
        f = f[f_day <= self.end]
        f_day = _workday(f_day[f_day <= self.end], self.start, self.end)
        n = len(f)
        product = o["product"][f]
        fam = self.prod_family[product]
        had_return = np.bincount(ln["order"], ln["returned"], minlength=o["n"])[f] > 0
        bad_product = np.zeros(n, bool)
        if self.poor_product is not None:
            poor_lines = (ln["product"] == self.poor_product) & (ln["day"] >= self.day_poor)
            bad_product = (np.bincount(ln["order"], poor_lines, minlength=o["n"])[f] > 0) & (
                rng.random(n) < 0.6
            )
        bad_product |= had_return
        late = o["late"][f]
        pricey = (
            (fam == self.over_family) & (o["day"][f] >= self.day_over)
            if self.over_family is not None
            else np.zeros(n, bool)
        )
        slow = (self.cust_seg[o["cust"][f]] == svc_seg) & (f_day >= self.day_svc)
        score = (
            8.4
            + rng.normal(0, 1.2, n)
            - 3.6 * bad_product
            - np.where(late, 2.0 + 0.1 * np.minimum(o["late_by"][f], 20), 0)
            - 1.3 * pricey
            - 1.4 * slow
        )
        score = np.clip(np.round(score), 0, 10).astype(np.int64)
        topic = np.where(
            bad_product,
            "product",
            np.where(
                late,
                "late",
                np.where(
                    pricey & (score <= 7),
                    "price",
                    np.where(
                        slow & (score <= 7), "service", np.where(score >= 9, "positive", "neutral")
                    ),
                ),
            ),
        )
        comments = np.empty(n, dtype=object)
        for name, options in t["comments"].items():
            m = topic == name
            comments[m] = np.array(options, dtype=object)[rng.integers(len(options), size=m.sum())]
        silent = rng.random(n) < np.where(topic == "neutral", 0.7, 0.3)
        self.tables["feedback"] = _frame(
            "feedback",
            {
                "feedback_id": pd.Series(_ids("FB", n, 6), dtype="str"),
                "customer_id": pd.Series(self.cust_id[o["cust"][f]], dtype="str"),
                "date": _dates(f_day),
                "score": score,
                "comment": _nullable_str(comments, silent),
                "rep_id": pd.Series(self.rep_id[o["rep"][f]], dtype="str"),
                "product_id": pd.Series(self.prod_id[product], dtype="str"),
            },
        )

    # ------------------------------------------------------------------ activities

    def activities(self) -> None:
        rng, d = self.rng, self.d
        # Touches on each deal, between creation and close (or today).
        deal = np.repeat(np.arange(d["n"]), d["touches"])
        stop = np.minimum(np.where(d["open"], self.end, d["close"]), self.end)
        span = np.maximum(stop - d["day"], 0)[deal]
        a_day = d["day"][deal] + (rng.random(len(deal)) * (span + 1)).astype(np.int64)
        a_day = _workday(a_day, self.start - _PRE_DAYS, self.end)
        a_rep = self.rep_of(d["slot"][deal], a_day)
        a_kind = rng.choice(4, len(deal), p=[0.38, 0.32, 0.18, 0.12])
        a_cust = d["cust"][deal]
        a_deal = deal
        # Sales engineers run a demo or two on the deals they support.
        sup = np.flatnonzero(d["support"] >= 0)
        sk = 1 + rng.poisson(0.6, len(sup))
        sd = np.repeat(sup, sk)
        s_day = d["day"][sd] + (
            rng.random(len(sd)) * (np.maximum(stop - d["day"], 0)[sd] + 1)
        ).astype(np.int64)
        # Account work not tied to a deal, per seller slot and quarter.
        n_slots, nq = len(self.slot_cap), len(self.q_start)
        base = 6 * 13 * (self.q_len / 91.25)
        mult = np.ones((n_slots, nq))
        mult[self.tops] = 1.3
        if self.low_rep is not None:
            mult[self.low_rep, self.q_start >= self.day_low] = 0.35
        counts = rng.poisson(base[None, :] * mult * np.sqrt(self.slot_cap)[:, None])
        g_slot = np.repeat(np.repeat(np.arange(n_slots), nq), counts.ravel())
        g_q = np.repeat(np.tile(np.arange(nq), n_slots), counts.ravel())
        g_day = self.q_start[g_q] + (rng.random(len(g_q)) * self.q_len[g_q]).astype(np.int64)
        g_day = _workday(g_day, self.start, self.end)
        g_rep = self.rep_of(g_slot, g_day)
        g_cust = self.book[
            self.book_start[g_slot]
            + (rng.random(len(g_slot)) * self.book_size[g_slot]).astype(np.int64)
        ]
        g_kind = rng.choice(4, len(g_slot), p=[0.5, 0.4, 0.1, 0.0])

        day = np.concatenate([a_day, _workday(s_day, self.start - _PRE_DAYS, self.end), g_day])
        rep = np.concatenate([a_rep, d["support"][sd], g_rep])
        kind = np.concatenate([a_kind, np.full(len(sd), 3), g_kind])
        cust = np.concatenate([a_cust, d["cust"][sd], g_cust])
        deal_ix = np.concatenate([a_deal, sd, np.full(len(g_slot), -1)])
        # Touches on deals opened before the history began are not part of it.
        order = np.lexsort((rep, day))
        order = order[day[order] >= self.start]
        kinds = np.array(["call", "email", "meeting", "demo"], dtype=object)
        self.tables["activities"] = _frame(
            "activities",
            {
                "activity_id": pd.Series(_ids("A", len(order), 7), dtype="str"),
                "rep_id": pd.Series(self.rep_id[rep[order]], dtype="str"),
                "date": _dates(day[order]),
                "kind": pd.Series(kinds[kind[order]], dtype="str"),
                "customer_id": pd.Series(self.cust_id[cust[order]], dtype="str"),
                "deal_id": _nullable_str(
                    self.deal_id[np.maximum(deal_ix[order], 0)], deal_ix[order] < 0
                ),
            },
        )

    # ------------------------------------------------------------------ courses and training

    def courses_and_training(self) -> None:
        rng, t = self.rng, self.t
        titles = [t["product_course"].format(family=f) for f in self.family_names] + [
            c[1] for c in t["courses"]
        ]
        topics = ["product"] * len(self.family_names) + [c[0] for c in t["courses"]]
        refresh = [365] * len(self.family_names) + [c[2] for c in t["courses"]]
        families = list(self.family_names) + [None] * len(t["courses"])
        n_courses = len(titles)
        self.course_id = _ids("CRS", n_courses, 2)
        self.tables["courses"] = _frame(
            "courses",
            {
                "course_id": pd.Series(self.course_id, dtype="str"),
                "title": pd.Series(titles, dtype="str"),
                "topic": pd.Series(topics, dtype="str"),
                "refresh_days": pd.array(refresh, dtype="Int64"),
                "product_family": pd.Series(families, dtype="str"),
            },
        )
        # Each rep takes each product course on joining and refreshes it about yearly; other
        # courses are taken by some. Gap reps never took their family's product course.
        rows_rep, rows_course, rows_day = [], [], []
        n_fam = len(self.family_names)
        for r in range(len(self.rep_id)):
            first_day = max(int(self.rep_hire[r]) + 20, self.start - 400)
            last_day = self.rep_end[r] if self.rep_end[r] != NAT else self.end
            for c in range(n_courses):
                if c < n_fam and self.is_gap[r] and c == self.gap_family:
                    continue
                if c >= n_fam and rng.random() > (0.8 if self.is_top[r] else 0.55):
                    continue
                cadence = refresh[c]
                day = first_day + int(rng.integers(0, 120))
                lapses = rng.random() < 0.06
                while day <= last_day:
                    rows_rep.append(r)
                    rows_course.append(c)
                    rows_day.append(day)
                    day += cadence + int(rng.integers(-30, 45)) + (400 if lapses else 0)
        rep = np.array(rows_rep)
        course = np.array(rows_course)
        day = _workday(np.array(rows_day, dtype=np.int64), -(10**6), self.end)
        score = np.clip(
            np.round(rng.normal(78, 10, len(rep)) + 8 * self.is_top[rep]), 35, 100
        ).astype(np.int64)
        order = np.lexsort((course, rep, day))
        self.tables["training"] = _frame(
            "training",
            {
                "rep_id": pd.Series(self.rep_id[rep[order]], dtype="str"),
                "course_id": pd.Series(self.course_id[course[order]], dtype="str"),
                "completed_date": _dates(day[order]),
                "score": score[order],
            },
        )

    # ------------------------------------------------------------------ targets, market, campaigns, truth

    def targets(self) -> None:
        rng, nq = self.rng, len(self.q_start)
        n_reps = len(self.rep_id)
        ln = self.l
        q = self.quarter_of(ln["day"])
        revenue = np.zeros((n_reps, nq))
        np.add.at(revenue, (ln["rep"], q), ln["revenue"])
        # Support staff are measured on the won deals they supported.
        d = self.d
        sup_won = d["won"] & (d["support"] >= 0)
        np.add.at(
            revenue,
            (d["support"][sup_won], self.quarter_of(d["close"][sup_won])),
            d["amount"][sup_won],
        )
        self.revenue = revenue

        # Planted attainment: normal reps 90-110%, problem reps clearly below, top reps above.
        att = np.clip(rng.normal(1.0, 0.045, (n_reps, nq)), 0.9, 1.1)
        after = lambda day: self.q_start >= day  # noqa: E731
        if self.late_dept is not None:
            in_late = (self.rep_dept == self.late_dept) & (self.rep_role == "seller")
            att[np.ix_(in_late, after(self.day_late))] = np.clip(
                rng.normal(0.96, 0.04, (in_late.sum(), after(self.day_late).sum())), 0.9, 1.06
            )
        problem_rows = [(r, np.ones(nq, bool)) for r in self.gap_reps]
        if self.low_rep is not None:
            problem_rows.append((self.low_rep, after(self.day_low)))
        if self.victim is not None:
            problem_rows.append((self.victim, after(self.day_late)))
        for r, qs in problem_rows:
            att[r, qs] = rng.uniform(0.66, 0.84, qs.sum())
        for r in self.tops:
            att[r] = rng.uniform(1.26, 1.42, nq)
        employed_days = np.array(
            [
                [
                    max(
                        0,
                        min(self.q_stop[k], self.rep_end[r] if self.rep_end[r] != NAT else self.end)
                        - max(self.q_start[k], self.rep_hire[r])
                        + 1,
                    )
                    for k in range(nq)
                ]
                for r in range(n_reps)
            ]
        )
        target = np.where((employed_days > 0) & (revenue > 0), np.round(revenue / att, -2), np.nan)
        self.attainment = revenue / target

        # The coming quarter: last year's same quarter, grown with the market forecast.
        same_q = nq - 4
        growth = (1 + self.market_growth[nq] + 0.02) * 1.03
        active = self.rep_end == NAT
        future = np.where(
            active & ~np.isnan(target[:, same_q]) & (same_q >= 0),
            np.round(target[:, max(same_q, 0)] * growth, -2),
            np.nan,
        )
        periods = list(self.q_labels) + [f"{self.next_quarter.year}-Q{self.next_quarter.quarter}"]
        full = np.column_stack([target, future])
        rows = []
        rep_idx, per_idx = np.nonzero(~np.isnan(full))
        rep_rows = pd.DataFrame(
            {"rep": rep_idx, "period": np.array(periods)[per_idx], "target": full[rep_idx, per_idx]}
        )
        rep_rows["year"] = rep_rows["period"].str[:4]
        rep_rows["scope_id"] = self.rep_id[rep_rows["rep"]]
        rep_rows["team"] = np.array(self.teams, dtype=object)[self.rep_team[rep_rows["rep"]]]
        rep_rows["department"] = np.array(self.departments, dtype=object)[
            self.rep_dept[rep_rows["rep"]]
        ]
        rep_rows["seller"] = self.rep_role[rep_rows["rep"]] == "seller"
        rep_rows["company"] = ""
        for scope, col, frame in (
            ("rep", "scope_id", rep_rows),
            ("team", "team", rep_rows[rep_rows["seller"]]),
            ("department", "department", rep_rows[rep_rows["seller"]]),
            ("company", "company", rep_rows[rep_rows["seller"]]),
        ):
            quarterly = frame.groupby([col, "period"], sort=True)["target"].sum().reset_index()
            yearly = (
                frame.groupby([col, "year"], sort=True)["target"]
                .sum()
                .reset_index()
                .rename(columns={"year": "period"})
            )
            for part in (yearly, quarterly):
                rows.append(
                    pd.DataFrame(
                        {
                            "scope": scope,
                            "period": part["period"],
                            "metric": "revenue",
                            "target": part["target"].astype(float),
                            "scope_id": part[col].where(part[col] != "", None),
                        }
                    )
                )
        targets = pd.concat(rows, ignore_index=True)
        self.tables["targets"] = _frame(
            "targets",
            {
                "scope": pd.Series(targets["scope"], dtype="str"),
                "period": pd.Series(targets["period"], dtype="str"),
                "metric": pd.Series(targets["metric"], dtype="str"),
                "target": targets["target"].to_numpy(),
                "scope_id": pd.Series(targets["scope_id"], dtype="str"),
            },
        )
        self.market_table()
        self.campaigns_table()
        self.record_truth()

    def market_table(self) -> None:
        rng, t = self.rng, self.t
        nq = len(self.q_start)
        periods = list(self.q_labels) + [f"{self.next_quarter.year}-Q{self.next_quarter.quarter}"]
        n_fam = len(self.family_names)
        cpi = np.round(1.0 + rng.normal(0, 0.02, (nq + 1, n_fam)), 3)
        note = np.full((nq + 1, n_fam), None, dtype=object)
        note[nq, :] = t["market_forecast"]
        if self.over_family is not None:
            qs = np.r_[self.q_start, self.q_stop[-1] + 1] >= self.day_over
            cpi[qs, self.over_family] = np.round(rng.uniform(0.86, 0.9, qs.sum()), 3)
            first = int(np.argmax(qs))
            note[first, self.over_family] = t["market_cut"]
        pq, pf = np.meshgrid(np.arange(nq + 1), np.arange(n_fam), indexing="ij")
        self.tables["market"] = _frame(
            "market",
            {
                "period": pd.Series(np.array(periods, dtype=object)[pq.ravel()], dtype="str"),
                "market_growth": self.market_growth[pq.ravel()],
                "competitor_price_index": cpi.ravel(),
                "product_family": pd.Series(
                    np.array(self.family_names, dtype=object)[pf.ravel()], dtype="str"
                ),
                "note": pd.Series(note.ravel(), dtype="str"),
            },
        )

    def campaigns_table(self) -> None:
        t = self.t
        self.tables["campaigns"] = _frame(
            "campaigns",
            {
                "campaign_id": pd.Series(self.camp_id, dtype="str"),
                "channel": pd.Series(
                    np.array(t["channels"], dtype=object)[self.camp_channel], dtype="str"
                ),
                "target_segment": pd.Series(
                    np.array(t["segments"], dtype=object)[self.camp_seg], dtype="str"
                ),
                "start_date": _dates(self.camp_start),
                "end_date": _dates(self.camp_stop),
                "spend": self.camp_spend.astype(float),
            },
        )

    def record_truth(self) -> None:
        """Ground truth, with notes that quote the strength actually generated."""
        truth = self.truth
        deals, orders = self.tables["deals"], self.tables["orders"]
        products = self.tables["products"]
        closed = deals[deals["stage"] != "open"]
        fam_of = dict(zip(products["product_id"], products["family"]))

        def win_rate(mask) -> float:
            part = closed[mask]
            return float((part["stage"] == "won").mean()) if len(part) else float("nan")

        def pct(x: float) -> str:
            return f"{100 * x:.0f}%"

        def rep_entry(problem, cause, r, period_from, note, **extra) -> dict:
            return dict(
                problem=problem,
                cause=cause,
                scope="rep",
                scope_id=str(self.rep_id[r]),
                period_from=period_from,
                note=note,
                name=str(self.rep_name[r]),
                team=self.teams[self.rep_team[r]],
                department=self.departments[self.rep_dept[r]],
                **extra,
            )

        since = lambda key: pd.Timestamp(_dates(np.array([self.start_day[key]]))[0])  # noqa: E731
        if self.poor_product is not None:
            pid = str(self.prod_id[self.poor_product])
            recent = since("poor_product")
            lines = orders[orders["order_date"] >= recent]
            done = lines[lines["status"].isin(["delivered", "returned"])]
            ret = done.groupby(done["product_id"] == pid)["status"].apply(
                lambda s: (s == "returned").mean()
            )
            truth.append(
                dict(
                    problem="poor_product",
                    cause="product",
                    scope="product",
                    scope_id=pid,
                    period_from=self.p_from["poor_product"][1],
                    note=(
                        f"Product {pid} ({products.set_index('product_id').loc[pid, 'name']}) turned bad from "
                        f"{self.p_from['poor_product'][1]}: {pct(ret.get(True, 0))} of its delivered lines returned "
                        f"(others {pct(ret.get(False, 0))}), many complaints and low feedback ('broke after a week'), "
                        f"win rate since then {pct(win_rate((closed['product_id'] == pid) & (closed['close_date'] >= recent)))} "
                        f"vs {pct(win_rate((closed['product_id'] == pid) & (closed['close_date'] < recent)))} before; "
                        "lost deals mostly give lost_reason product."
                    ),
                )
            )
        if self.over_family is not None:
            fam = self.family_names[self.over_family]
            recent = since("overpriced_family")
            is_fam = closed["product_id"].map(fam_of) == fam
            after = closed["close_date"] >= recent
            lost = closed[(closed["stage"] == "lost") & after]
            price_share = lost.groupby(lost["product_id"].map(fam_of) == fam)["lost_reason"].apply(
                lambda s: (s == "price").mean()
            )
            market = self.tables["market"]
            cpi = market.loc[
                (market["product_family"] == fam)
                & (pd.PeriodIndex(market["period"], freq="Q").start_time >= recent),
                "competitor_price_index",
            ].mean()
            fam_lines = orders[orders["product_id"].map(fam_of) == fam]
            deeper = (
                fam_lines.loc[fam_lines["order_date"] >= recent, "discount"].mean()
                - fam_lines.loc[fam_lines["order_date"] < recent, "discount"].mean()
            )
            truth.append(
                dict(
                    problem="overpriced_family",
                    cause="price",
                    scope="family",
                    scope_id=fam,
                    period_from=self.p_from["overpriced_family"][1],
                    note=(
                        f"Competitors undercut the {fam} family from {self.p_from['overpriced_family'][1]} "
                        f"(competitor_price_index {cpi:.2f}): win rate {pct(win_rate(is_fam & after))} vs "
                        f"{pct(win_rate(is_fam & ~after))} before, {pct(price_share.get(True, 0))} of its lost deals "
                        f"lost on price (other families {pct(price_share.get(False, 0))}), discounts "
                        f"{100 * deeper:.0f} points deeper on its order lines."
                    ),
                )
            )
        if self.late_dept is not None:
            dept = self.departments[self.late_dept]
            recent = since("late_department")
            reps = self.tables["reps"].set_index("rep_id")["department"]
            done = orders[
                (orders["order_date"] >= recent) & orders["delivered_date"].notna()
            ].drop_duplicates("order_id")
            late = (
                (done["delivered_date"] > done["promised_date"])
                .groupby(done["rep_id"].map(reps) == dept)
                .mean()
            )
            truth.append(
                dict(
                    problem="late_department",
                    cause="delivery",
                    scope="department",
                    scope_id=dept,
                    period_from=self.p_from["late_department"][1],
                    note=(
                        f"Deliveries in {dept} run late from {self.p_from['late_department'][1]}: "
                        f"{pct(late.get(True, 0))} of its delivered orders arrived after promised_date "
                        f"(other departments {pct(late.get(False, 0))}), often 1-3 weeks late; more cancellations, "
                        "complaints and 'late delivery' feedback. Its other sellers land a little below goal "
                        f"({pct(self._dept_attainment(self.late_dept, self.day_late))} since then)."
                    ),
                )
            )
        if self.svc_seg is not None:
            seg = self.t["segments"][self.svc_seg]
            svc = self.tables["service"]
            svc = svc[svc["opened_date"] >= since("poor_service_segment")]
            segs = self.tables["customers"].set_index("customer_id")["segment"]
            is_seg = svc["customer_id"].map(segs) == seg
            days = (svc["closed_date"] - svc["opened_date"]).dt.days
            truth.append(
                dict(
                    problem="poor_service_segment",
                    cause="service",
                    scope="segment",
                    scope_id=seg,
                    period_from=self.p_from["poor_service_segment"][1],
                    note=(
                        f"Service for {seg} customers slipped from {self.p_from['poor_service_segment'][1]}: cases take a "
                        f"median {days[is_seg].median():.0f} days to close (others {days[~is_seg].median():.0f}), mean CSAT "
                        f"{svc.loc[is_seg, 'csat'].mean():.1f} vs {svc.loc[~is_seg, 'csat'].mean():.1f}; "
                        "feedback mentions slow support."
                    ),
                )
            )
        if self.bad_campaign is not None:
            cid = str(self.camp_id[self.bad_campaign])
            is_c = closed["lead_source"] == cid
            other = closed["lead_source"].str.startswith("CMP") & ~is_c
            truth.append(
                dict(
                    problem="wrong_campaign",
                    cause="marketing",
                    scope="campaign",
                    scope_id=cid,
                    period_from=self.p_from["wrong_campaign"][1],
                    target_segment=self.t["segments"][self.camp_seg[self.bad_campaign]],
                    note=(
                        f"Campaign {cid} targeted {self.t['segments'][self.camp_seg[self.bad_campaign]]}, a segment that "
                        f"does not buy what it promoted: {int(is_c.sum())} closed leads, win rate {pct(win_rate(is_c))} "
                        f"vs {pct(win_rate(other))} for the other campaigns; lost leads end in no_decision or other."
                    ),
                )
            )
        if self.gap_reps:
            fam = self.family_names[self.gap_family]
            course = str(self.course_id[self.gap_family])
            is_fam = closed["product_id"].map(fam_of) == fam
            for r in self.gap_reps:
                mine = closed["rep_id"] == self.rep_id[r]
                truth.append(
                    rep_entry(
                        "training_gap",
                        "training",
                        r,
                        self.q_labels[0],
                        (
                            f"{self.rep_name[r]} never took the {fam} product course ({course}) and loses on that family: "
                            f"win rate {pct(win_rate(mine & is_fam))} on {fam} vs {pct(win_rate(mine & ~is_fam))} on other "
                            f"families (peers on {fam}: {pct(win_rate(~mine & is_fam))}); repeat orders of {fam} from their "
                            f"customers about halved. Attainment {pct(self._attainment(r))} over the history."
                        ),
                        family=fam,
                        course_id=course,
                    )
                )
        if self.low_rep is not None:
            r = self.low_rep
            recent = since("low_activity")
            acts = self.tables["activities"]
            acts = acts[
                (acts["date"] >= recent)
                & self.tables["activities"]["rep_id"].isin(self.rep_id[: self.n_sellers])
            ]
            per_rep = acts.groupby("rep_id").size()
            mine = closed["rep_id"] == self.rep_id[r]
            after = closed["close_date"] >= recent
            truth.append(
                rep_entry(
                    "low_activity",
                    "rep",
                    r,
                    self.p_from["low_activity"][1],
                    (
                        f"{self.rep_name[r]} slowed down from {self.p_from['low_activity'][1]}: {per_rep.get(self.rep_id[r], 0)} "
                        f"activities since then vs a median of {per_rep.median():.0f} for sellers, fewer new deals, win rate "
                        f"{pct(win_rate(mine & after))} vs {pct(win_rate(~mine & after))} for peers; attainment "
                        f"{pct(self._attainment(r, self.day_low))} since then. Products, prices, delivery and service are normal."
                    ),
                )
            )
        if self.victim is not None:
            r = self.victim
            recent = since("late_department")
            mine = orders[(orders["rep_id"] == self.rep_id[r]) & (orders["order_date"] >= recent)]
            lost_share = mine["status"].isin(["cancelled", "returned"]).mean()
            late_share = _late_share(mine)
            truth.append(
                rep_entry(
                    "late_delivery_victim",
                    "late_delivery_victim",
                    r,
                    self.p_from["late_department"][1],
                    (
                        f"{self.rep_name[r]} works in {self.departments[self.late_dept]} and misses goal only because of late "
                        f"deliveries: {pct(late_share)} of their delivered orders arrived late, {pct(lost_share)} of their order lines since "
                        f"{self.p_from['late_department'][1]} were cancelled or returned, extra lost deals give timing or "
                        f"service; activity, deal size and conversion otherwise like peers (their win rate dips only by the deals lost on timing or service). Attainment "
                        f"{pct(self._attainment(r, self.day_late))} since then. Coaching will not fix it; delivery will."
                    ),
                )
            )
        for r in self.tops:
            truth.append(
                rep_entry(
                    "top_performer",
                    "top_performer",
                    r,
                    self.q_labels[0],
                    (
                        f"{self.rep_name[r]} beats goal clearly: attainment {pct(self._attainment(r))} over the history, "
                        "more activity, higher win rate, better techniques, more courses with higher scores."
                    ),
                )
            )

    def _dept_attainment(self, dept: int, since_day: int) -> float:
        """Attainment of a department's sellers since a day, leaving out the planted reps."""
        planted = set(self.gap_reps) | set(self.tops) | {self.low_rep, self.victim}
        members = [
            r
            for r in range(len(self.rep_id))
            if self.rep_dept[r] == dept and self.rep_role[r] == "seller" and r not in planted
        ]
        qs = self.q_start >= since_day
        rev = self.revenue[np.ix_(members, qs)]
        target = rev / self.attainment[np.ix_(members, qs)]
        ok = ~np.isnan(target)
        return float(rev[ok].sum() / target[ok].sum()) if ok.any() else float("nan")

    def _attainment(self, r: int, since_day: int | None = None) -> float:
        qs = np.ones(len(self.q_start), bool) if since_day is None else self.q_start >= since_day
        rev = self.revenue[r, qs]
        target = rev / self.attainment[r, qs]
        ok = ~np.isnan(target)
        return float(rev[ok].sum() / target[ok].sum()) if ok.any() else float("nan")
