"""The pages of the manager's app, in the order of the sales management cycle."""

from salescoach.app.pages.diagnosis import DiagnosisPage
from salescoach.app.pages.goals import GoalsPage
from salescoach.app.pages.monitoring import MonitoringPage
from salescoach.app.pages.packs import PacksPage
from salescoach.app.pages.recognition import RecognitionPage
from salescoach.app.pages.training import TrainingPage
from salescoach.app.pages.what_works import WhatWorksPage

PAGES = (
    GoalsPage,
    TrainingPage,
    MonitoringPage,
    DiagnosisPage,
    WhatWorksPage,
    RecognitionPage,
    PacksPage,
)

__all__ = [
    "PAGES",
    "DiagnosisPage",
    "GoalsPage",
    "MonitoringPage",
    "PacksPage",
    "RecognitionPage",
    "TrainingPage",
    "WhatWorksPage",
]
