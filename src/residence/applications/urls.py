"""The citizen's application pages (start page, the form, progress)."""

from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.start, name="start"),
    path("acceptance-points/", views.points, name="points"),
    path("apply/", views.apply, name="apply"),
    path("apply/check/", views.check, name="check"),
    path("apply/family/add/", views.family_member, name="family_add"),
    path("apply/family/<int:index>/", views.family_member, name="family_change"),
    path("apply/family/<int:index>/remove/", views.family_remove, name="family_remove"),
    path("apply/<slug:step>/", views.step, name="step"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.progress, name="progress"),
    path("<int:pk>/submitted/", views.done, name="done"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/pay/", views.pay, name="pay"),
    path("<int:pk>/paid/", views.paid, name="paid"),
    path("<int:pk>/written-reply/", views.written_reply, name="written_reply"),
    path("<int:pk>/receipt.pdf", views.receipt, name="receipt"),
    path("<int:pk>/payment-receipt.pdf", views.payment_receipt, name="payment_receipt"),
]
