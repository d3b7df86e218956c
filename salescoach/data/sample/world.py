"""The fictional company's world: names, products, segments, seasons and the odds that drive it."""

from __future__ import annotations

import numpy as np

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
