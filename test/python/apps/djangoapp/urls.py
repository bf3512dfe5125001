from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


def hello(request):
    return HttpResponse(f"hello from django {request.GET.get('name', '')}".strip(), content_type="text/plain")


@csrf_exempt
def echo(request):
    return HttpResponse(request.body, content_type="application/octet-stream", headers={"x-method": request.method})


def boom(request):
    raise RuntimeError("django boom")


urlpatterns = [path("hello", hello), path("echo", echo), path("boom", boom)]
