"""The citizen's permit pages and the public validity check."""

from django.urls import path

from . import views

app_name = "permits"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("check/", views.check, name="check"),
    path("<str:number>/endorse/", views.endorse, name="endorse"),
    path("<str:number>/endorsements/<int:pk>/", views.endorsement, name="endorsement"),
]
