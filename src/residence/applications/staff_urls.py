"""The staff desk's application pages (queues, actions, counter intake, dashboard)."""

from django.urls import path

from . import staff_views as views

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("find/", views.find, name="find"),
    path("new/", views.intake, name="intake"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<slug:group>/<str:code>/<slug:due>/", views.dashboard_items, name="dashboard_items"),
    path("move/", views.move, name="move"),
    path("batch/", views.batch, name="batch"),
    path("<int:pk>/", views.application, name="application"),
    path("<int:pk>/accepted/", views.accepted, name="accepted"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/form/", views.form_pdf, name="form"),
    path("<int:pk>/payment-receipt/", views.payment_receipt, name="payment_receipt"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
