"""The staff desk's permit pages: counter endorsement, a department's endorsement checks."""

from django.urls import path

from . import staff_views as views

app_name = "desk_permits"
urlpatterns = [
    path("", views.counter, name="counter"),
    path("<str:number>/endorse/", views.counter_endorse, name="counter_endorse"),
    path("checks/", views.checks, name="checks"),
    path("revocations/", views.revocations, name="revocations"),
    path("<str:number>/revoke/", views.revoke, name="revoke"),
    path("checks/<int:pk>/answer/", views.answer, name="answer"),
]
