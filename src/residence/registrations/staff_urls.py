"""The counter's residence registration pages."""

from django.urls import path

from . import staff_views as views

app_name = "registrations_desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("houses/<int:pk>/confirm/", views.house_confirm, name="house_confirm"),
    path("houses/<int:pk>/declare/", views.declare, name="declare"),
    path("houses/<int:pk>/declare/check/", views.declare_check, name="declare_check"),
    path("declarations/<int:pk>/", views.declaration, name="declaration"),
    path("declarations/<int:pk>/receipt/", views.receipt, name="receipt"),
]
