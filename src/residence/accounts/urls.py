from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("accounts/register/", views.register, name="register"),
    path("accounts/register/done/", views.register_done, name="register_done"),
    path("accounts/privacy/", views.privacy, name="privacy"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/forget/", views.forget_username, name="forget_username"),
    path("accounts/login/verify/", views.login_verify, name="login_verify"),
    path("accounts/sms/resend/", views.sms_resend, name="sms_resend"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/signed-out/", views.signed_out, name="signed_out"),
    path("accounts/keep-alive/", views.keep_alive, name="keep_alive"),
    path("accounts/password-reset/", views.password_reset, name="password_reset"),
    path("accounts/forgot-username/", views.username_reminder, name="username_reminder"),
    path("accounts/password-reset/confirm/", views.password_reset_confirm, name="password_reset_confirm"),
]
