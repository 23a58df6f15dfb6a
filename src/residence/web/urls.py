from django.urls import path

from residence.accounts import views as accounts
from residence.eligibility import views as eligibility

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("language/<str:code>/", views.language, name="language"),
    path("developers/", views.developers, name="developers"),
    path("account/", views.account, name="account"),
    path("account/details/", views.details, name="details"),
    path("account/password/", accounts.password_change, name="password"),
    path("account/phone/", accounts.phone_change, name="phone"),
    path("account/phone/verify/", accounts.phone_verify, name="phone_verify"),
    path("account/real-name/", accounts.real_name, name="real_name"),
    path("account/eligibility/", eligibility.self_check, name="eligibility"),
    path("account/messages/", views.messages_page, name="messages"),
    path("account/messages/<int:pk>/read/", views.message_read, name="message_read"),
    path("staff/", views.staff_desk, name="staff"),
    path("staff/organisations/<int:pk>/activate/", accounts.organisation_activate, name="organisation_activate"),
    path("staff/organisations/<int:pk>/decline/", accounts.organisation_decline, name="organisation_decline"),
    path("staff/phone/", accounts.counter_phone, name="counter_phone"),
    path("staff/phone/verify/", accounts.counter_phone_verify, name="counter_phone_verify"),
]
