from django.urls import path

from . import views

app_name = "registrations"
urlpatterns = [
    path("", views.home, name="home"),
    path("houses/", views.houses, name="houses"),
    path("houses/new/", views.house_new, name="house_new"),
    path("houses/new/check/", views.house_check, name="house_check"),
    path("houses/new/<slug:step>/", views.house_new, name="house_new_step"),
    path("houses/<int:pk>/", views.house_detail, name="house"),
    path("houses/<int:pk>/<slug:kind>/", views.declare, name="declare"),
    path("houses/<int:pk>/<slug:kind>/check/", views.declare_check, name="declare_check"),
    path("declarations/", views.declarations, name="declarations"),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration"),
    path("mine/", views.my_registrations, name="mine"),
    path("self-report/", views.self_report, name="self_report"),
    path("self-report/check/", views.self_report_check, name="self_report_check"),
    path("pending/", views.pending_reports, name="pending"),
    path("pending/<int:pk>/confirm/", views.pending_answer, {"action": "confirm"}, name="pending_confirm"),
    path("pending/<int:pk>/decline/", views.pending_decline, name="pending_decline"),
    path("declarations/<int:pk>/withdraw/", views.declaration_withdraw, name="declaration_withdraw"),
    path("sub-accounts/", views.sub_accounts, name="sub_accounts"),
    path("sub-accounts/<int:pk>/deactivate/", views.sub_account_deactivate, name="sub_account_deactivate"),
    path("sub-accounts/<int:pk>/houses/", views.sub_account_houses, name="sub_account_houses"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/template.csv", views.bulk_template, name="bulk_template"),
    path("bulk/<int:pk>/", views.bulk_report, name="bulk_report"),
    path("bulk/<int:pk>/report.csv", views.bulk_report_csv, name="bulk_report_csv"),
    path("bulk/<int:pk>/confirm/", views.bulk_confirm, name="bulk_confirm"),
    path("bulk/<int:pk>/done/", views.bulk_done, name="bulk_done"),
]
